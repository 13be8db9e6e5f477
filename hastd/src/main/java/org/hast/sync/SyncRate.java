package org.hast.sync;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Paces synchronisation (and online verify) to a rate in bytes per second: a step of n bytes
 * may start once the steps before it have had n / rate seconds. Credit from an idle period is
 * capped at {@link #BURST_NANOS}, so a pass never starts with a burst above the limit. The rate
 * comes from a supplier, so the adaptive controller can move it between steps; 0 = no limit.
 */
public final class SyncRate {
    /** Idle time that may be spent at once: 50 ms of the rate. */
    static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LongSupplier bytesPerSecond;
    private final Clock clock;
    /** When the next step may start, by {@link Clock#nanoTime}. */
    private long nextStartNanos;

    /** Time, and a way to wait for it: the real ones in the daemon, a fake in tests. */
    public interface Clock {
        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        };
    }

    public SyncRate(LongSupplier bytesPerSecond, Clock clock) {
        this.bytesPerSecond = bytesPerSecond;
        this.clock = clock;
        this.nextStartNanos = clock.nanoTime();
    }

    /** No limit at all. */
    public static SyncRate unlimited() {
        return new SyncRate(() -> 0, Clock.SYSTEM);
    }

    /** Waits until {@code bytes} more may go; called by one thread (the sync or verify thread). */
    public void acquire(long bytes) throws InterruptedException {
        long rate = bytesPerSecond.getAsLong();
        long now = clock.nanoTime();
        if (rate <= 0) {
            nextStartNanos = now;
            return;
        }
        long start = Math.max(nextStartNanos, now - BURST_NANOS);
        if (start > now) {
            clock.sleepNanos(start - now);
        }
        nextStartNanos = start + (long) (bytes * 1e9 / rate);
    }
}
