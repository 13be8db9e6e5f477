package org.hast.local;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether the client flushes after every few writes (a database's commit, fio's {@code --fsync=1}):
 * then a write's dirty pages are worth sending to the device as soon as the write is answered,
 * so that the FLUSH which follows finds them written and its {@code fdatasync} is only the
 * device's cache flush (on the test machine 56 µs instead of 117 µs for one 4 KiB page, on
 * both nodes). Without that cadence an early write-back only adds I/O, which an activemap mark's
 * cache flush then waits for ({@link WriteBehind}), so it is started only while the last
 * completed interval between two FLUSHes, and the current one so far, held at most
 * {@link #MAX_WRITES} writes.
 *
 * <p>Any thread; the counts are a hint, so racing updates may miscount by one without harm.
 */
public final class FlushCadence {
    /** Writes between two FLUSHes up to which each write is written back at once. */
    static final int MAX_WRITES = 8;

    /** Writes since the last FLUSH. */
    private final AtomicInteger current = new AtomicInteger();
    /** Writes between the last two FLUSHes (before the first FLUSH: "many"). */
    private volatile int lastInterval = Integer.MAX_VALUE;

    /** A FLUSH arrived: the interval it ends is the cadence. */
    public void flushed() {
        lastInterval = current.getAndSet(0);
    }

    /** A write completed: true when its pages should be written back now. */
    public boolean written() {
        return current.incrementAndGet() <= MAX_WRITES && lastInterval <= MAX_WRITES;
    }
}
