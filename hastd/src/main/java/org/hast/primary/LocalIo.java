package org.hast.primary;

import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.hast.daemon.process.FatalThreads;
import org.hast.util.IoErrors;
import org.hast.local.LocalComponent;
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.internal.PlatformDependent;

/**
 * The local component (spec §11.3): a few threads take requests from one bounded queue and
 * run them against the local provider at {@code localoff + offset}, straight from and into
 * the request's direct buffer. Several threads keep several requests in the device's queue,
 * which a single thread (the reference's {@code local_send}) cannot.
 *
 * <p>The hand-off allocates nothing (issue #15): a lock-free array queue, and idle threads park
 * after setting their bit in {@link #idle}; a submitter unparks one of them. A blocking queue's
 * {@code take} made a condition node each time a thread parked, most requests at qd32.
 */
final class LocalIo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalIo.class);
    static final int EIO = 5;
    static final int ESHUTDOWN = 108;
    private static final Hio STOP = new Hio(org.hast.proto.HioCommand.UNDEF, 0, 0, null, e -> { });

    private final LocalComponent local;
    private final long localOffset;
    private final Queue<Hio> queue;
    private final Consumer<Hio> done;
    private final Thread[] threads;
    /**
     * Bit i: {@code threads[i]} is parked or about to park, after it found the queue empty. A
     * submitter clears a bit before it unparks that thread; either it sees the bit or the
     * thread, which looks at the queue again after setting it, sees the request.
     */
    private final AtomicInteger idle = new AtomicInteger();

    /**
     * @param capacity at least the number of request slots, so {@link #submit} never blocks
     * @param done     called on an I/O thread with the request's {@code localError} set
     */
    LocalIo(LocalComponent local, long localOffset, int threadCount, int capacity, Consumer<Hio> done) {
        this.local = local;
        this.localOffset = localOffset;
        if (threadCount < 1 || threadCount > Integer.SIZE) {
            throw new IllegalArgumentException("local threads: " + threadCount + " not 1.." + Integer.SIZE);
        }
        this.queue = PlatformDependent.newFixedMpmcQueue(capacity);
        this.done = done;
        this.threads = new Thread[threadCount];
        // All made before any starts: a submitter may unpark any of them once its bit is set.
        for (int i = 0; i < threadCount; i++) {
            int index = i;
            threads[i] = FatalThreads.newThread("local-" + i, () -> run(index));
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    void submit(Hio hio) {
        if (!queue.offer(hio)) {
            // Cannot happen while capacity >= request slots; fail rather than block a caller.
            hio.localError = EIO;
            done.accept(hio);
            return;
        }
        wakeOne();
    }

    /** Unparks one idle thread, if any; a thread busy with a request takes the next by itself. */
    private void wakeOne() {
        while (true) {
            int mask = idle.get();
            if (mask == 0) {
                return;
            }
            int bit = Integer.lowestOneBit(mask);
            if (idle.compareAndSet(mask, mask & ~bit)) {
                LockSupport.unpark(threads[Integer.numberOfTrailingZeros(bit)]);
                return;
            }
        }
    }

    int queued() {
        return queue.size();
    }

    private void run(int index) {
        int bit = 1 << index;
        while (true) {
            Hio hio = queue.poll();
            if (hio == null) {
                hio = awaitRequest(bit);
                if (hio == null) {
                    return; // interrupted
                }
            }
            if (hio == STOP) {
                return;
            }
            hio.localError = execute(hio);
            done.accept(hio);
        }
    }

    /** Parks until a request comes; null when interrupted. */
    private Hio awaitRequest(int bit) {
        while (true) {
            setIdle(bit);
            Hio hio = queue.poll();
            if (hio != null) {
                // A submitter may have cleared the bit and unparked us meanwhile: the permit
                // left over only makes a later park return at once, and the loop looks again.
                clearIdle(bit);
                return hio;
            }
            LockSupport.park(this);
            clearIdle(bit); // woken by a submitter (bit already clear) or spuriously
            if (Thread.currentThread().isInterrupted()) {
                return null;
            }
            hio = queue.poll();
            if (hio != null) {
                return hio;
            }
        }
    }

    private void setIdle(int bit) {
        int mask;
        do {
            mask = idle.get();
        } while (!idle.compareAndSet(mask, mask | bit));
    }

    private void clearIdle(int bit) {
        int mask;
        do {
            mask = idle.get();
        } while ((mask & bit) != 0 && !idle.compareAndSet(mask, mask & ~bit));
    }

    private int execute(Hio hio) {
        long position = localOffset + hio.offset;
        try {
            switch (hio.cmd) {
                case READ -> local.readFully(hio.data, hio.data.writerIndex(), hio.length, position);
                case WRITE -> local.writeFully(hio.data, hio.dataIndex, hio.length, position);
                case DELETE -> local.discard(position, hio.length);
                // A skipped flush (the EOPNOTSUPP latch) succeeds (A28).
                case FLUSH -> local.flush();
                default -> {
                    return Hio.EINVAL;
                }
            }
            return 0;
        } catch (IOException e) {
            if (hio.cmd == org.hast.proto.HioCommand.READ) {
                LOG.error("Local request failed ({}): {}, trying remote node.", hio, IoErrors.describe(e));
            } else {
                LOG.error("Local request failed ({}): {}.", hio, IoErrors.describe(e));
            }
            return EIO;
        }
    }

    @Override
    public void close() {
        // Never interrupt: an interrupt during FileChannel I/O closes the channel.
        Hio left;
        while ((left = queue.poll()) != null) {
            left.localError = ESHUTDOWN;
            done.accept(left);
        }
        for (int i = 0; i < threads.length; i++) {
            queue.offer(STOP);
            wakeOne();
        }
        for (Thread t : threads) {
            ThreadEnds.awaitBriefly(t);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}
