package org.hast.daemon.events;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.daemon.process.FatalThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code hastctl events} connection: a bounded queue of encoded events and a thread that
 * writes them out. hastd only ever offers to the queue; a follower whose queue is full is
 * dropped: its queue is replaced by one final {@code dropped} event, and if even that cannot be
 * written within {@link #DROP_GRACE_MILLIS} the connection is closed under the writer.
 */
final class EventFollower {
    private static final Logger LOG = LoggerFactory.getLogger(EventFollower.class);
    /** Events a follower may fall behind by; the initial state of every resource fits. */
    static final int QUEUE_CAPACITY = 1024;
    static final long DROP_GRACE_MILLIS = 5_000;

    private final SocketChannel socket;
    /** Resources this follower wants; empty: all. */
    private final Set<String> resources;
    private final BlockingQueue<ByteBuffer> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final EventHub hub;
    private volatile boolean dropped;
    /** The last event: after it the connection is closed. */
    private volatile ByteBuffer last;

    EventFollower(SocketChannel socket, Set<String> resources, EventHub hub) {
        this.socket = socket;
        this.resources = resources;
        this.hub = hub;
    }

    boolean wants(String resource) {
        return resource == null || resources.isEmpty() || resources.contains(resource);
    }

    void start() {
        FatalThreads.start("events-follower", this::writeLoop);
    }

    /** Called under the hub's lock; never blocks. */
    void offer(ByteBuffer event) {
        if (dropped) {
            return;
        }
        if (!queue.offer(event.duplicate())) {
            drop(event);
        }
    }

    private void drop(ByteBuffer lastSeen) {
        dropped = true;
        queue.clear();
        ByteBuffer farewell = hub.droppedEvent(QUEUE_CAPACITY);
        last = farewell;
        queue.offer(farewell);
        hub.remove(this);
        LOG.warn("An events follower fell {} events behind and was dropped.", QUEUE_CAPACITY);
        hub.schedule(this::close, DROP_GRACE_MILLIS);
    }

    private void writeLoop() {
        try {
            while (true) {
                ByteBuffer event = queue.poll(1, TimeUnit.SECONDS);
                if (event == null) {
                    if (!socket.isOpen()) {
                        return;
                    }
                    continue;
                }
                while (event.hasRemaining()) {
                    socket.write(event);
                }
                if (event == last) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("Events follower gone: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.remove(this);
            close();
        }
    }

    /** Ends the follower (hastd stopping, or a dropped one that did not read its last event). */
    void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }
}
