package org.hast.primary;

import java.util.ArrayDeque;

/**
 * The primary's request slots ({@code HAST_HIO_MAX}, spec §11.2): at most this many HAST
 * requests are between dispatch and completion. A request that finds none free waits here,
 * in order, and is started by the completion that frees one; the device bridge bounds how
 * many can wait by bounding what each client may have in flight.
 */
final class RequestSlots {
    private final int capacity;
    private int free;
    private final ArrayDeque<Hio> waiting = new ArrayDeque<>();

    RequestSlots(int capacity) {
        this.capacity = capacity;
        this.free = capacity;
    }

    /** True when the request got a slot; otherwise it waits for {@link #releaseOrNext}. */
    synchronized boolean acquireOrWait(Hio hio) {
        if (free > 0 && waiting.isEmpty()) {
            free--;
            return true;
        }
        waiting.add(hio);
        return false;
    }

    /** Frees a slot, or hands it straight to the next waiting request, which is returned. */
    synchronized Hio releaseOrNext() {
        Hio next = waiting.poll();
        if (next == null) {
            free++;
        }
        return next;
    }

    /** Requests still waiting for a slot, removed (shutdown). */
    synchronized Hio pollWaiting() {
        return waiting.poll();
    }

    synchronized int free() {
        return free;
    }

    int capacity() {
        return capacity;
    }
}
