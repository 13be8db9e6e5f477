package org.hast.primary;

import java.util.concurrent.atomic.LongAdder;

import org.hast.sync.AdaptiveRate;

/**
 * The regular writes' latency so far, from first start to completion, as the adaptive sync
 * rate reads it. Two adders: no lock and no allocation on the completion path.
 */
final class WriteLatencyMeter implements AdaptiveRate.WriteLatency {
    private final LongAdder totalNanos = new LongAdder();
    private final LongAdder count = new LongAdder();

    /** A regular write that was started at {@code startedNanos} has completed. */
    void record(long startedNanos) {
        totalNanos.add(System.nanoTime() - startedNanos);
        count.increment();
    }

    @Override
    public long totalNanos() {
        return totalNanos.sum();
    }

    @Override
    public long count() {
        return count.sum();
    }
}
