package org.hast.sync;

import java.util.function.LongSupplier;

/**
 * The adaptive synchronisation rate ({@code syncrate adaptive <ms>}, docs/integrity.md): every
 * {@link #TICK_NANOS} it looks at the mean latency of the application's writes that finished
 * in that tick; above the target the rate is halved, below 80 % of it (or with no writes at
 * all) it grows by a tenth, at least {@link #MIN_RATE}. Multiplicative decrease reacts within
 * one tick to a burst of application writes; additive-style growth probes back slowly, so
 * the rate settles just under what the target allows. It never falls below {@link #MIN_RATE},
 * so a synchronisation always ends.
 */
public final class AdaptiveRate implements LongSupplier {
    public static final long MIN_RATE = 1L << 20;
    /** Where a pass starts and the ceiling: above any link a node has today. */
    static final long MAX_RATE = 4L << 30;
    static final long TICK_NANOS = 100_000_000L;

    /** Cumulative latency sum (ns) and count of the application's writes. */
    public interface WriteLatency {
        long totalNanos();

        long count();
    }

    private final long targetNanos;
    private final WriteLatency latency;
    private final SyncRate.Clock clock;
    private long rate = 64L << 20;
    private long tickStart;
    private long lastTotal;
    private long lastCount;
    /** The mean application write latency of the last tick with writes, for status. */
    private volatile long lastMeanNanos;
    private volatile long current = rate;

    public AdaptiveRate(int targetMillis, WriteLatency latency, SyncRate.Clock clock) {
        this.targetNanos = targetMillis * 1_000_000L;
        this.latency = latency;
        this.clock = clock;
        this.tickStart = clock.nanoTime();
        this.lastTotal = latency.totalNanos();
        this.lastCount = latency.count();
    }

    /** The rate to use now; moves at most once per tick. Called by the pacing thread. */
    @Override
    public long getAsLong() {
        long now = clock.nanoTime();
        if (now - tickStart >= TICK_NANOS) {
            long total = latency.totalNanos();
            long count = latency.count();
            long writes = count - lastCount;
            if (writes > 0) {
                long mean = (total - lastTotal) / writes;
                lastMeanNanos = mean;
                if (mean > targetNanos) {
                    rate = Math.max(MIN_RATE, rate / 2);
                } else if (mean < targetNanos * 8 / 10) {
                    rate = grow(rate);
                }
            } else {
                rate = grow(rate);
            }
            lastTotal = total;
            lastCount = count;
            tickStart = now;
            current = rate;
        }
        return rate;
    }

    private static long grow(long rate) {
        return Math.min(MAX_RATE, rate + Math.max(MIN_RATE, rate / 10));
    }

    /** The rate last decided, for status (any thread). */
    public long current() {
        return current;
    }

    public long lastMeanNanos() {
        return lastMeanNanos;
    }
}
