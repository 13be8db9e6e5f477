package org.hast.secondary;

import java.util.Queue;

import io.netty.util.internal.PlatformDependent;

/**
 * The secondary's request objects, made once as the reference preallocates its hios (one
 * {@link SecondaryRequest} per request was about 100 bytes of garbage each, issue #15). The event
 * loop takes them (one consumer); the appliers and the connection's end give them back. When
 * every pooled one is out (the disk queue is full and its overflow holds more), a new one is
 * made, and dropped when it comes back to a full pool.
 */
final class RequestPool {
    static final int SIZE = DiskQueue.CAPACITY;

    /** An array ring: no node per request. */
    private final Queue<SecondaryRequest> free = PlatformDependent.newFixedMpscQueue(SIZE);

    RequestPool() {
        for (int i = 0; i < SIZE; i++) {
            free.offer(new SecondaryRequest(this));
        }
    }

    /** Event loop only: an unused request, to {@link SecondaryRequest#set fill}. */
    SecondaryRequest take() {
        SecondaryRequest request = free.poll();
        return request != null ? request : new SecondaryRequest(this);
    }

    /** Any thread: a released request is free again. */
    void giveBack(SecondaryRequest request) {
        free.offer(request);
    }

    /** Tests: the requests free now. */
    int free() {
        return free.size();
    }
}
