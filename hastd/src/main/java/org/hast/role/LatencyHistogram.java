package org.hast.role;

import java.util.concurrent.atomic.LongAdder;

import org.hast.nv.NvWriter;

/**
 * Request latencies in fixed buckets (Prometheus' cumulative histogram is built from these on
 * scrape). Recording is a few comparisons and two {@link LongAdder} increments: no lock and no
 * allocation on the I/O path.
 */
public final class LatencyHistogram {
    /** Upper bounds in nanoseconds, from 50 µs to 2.5 s; a last, implicit bucket is +Inf. */
    public static final long[] BOUNDS_NANOS = {
        50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000,
        50_000_000, 100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000L,
    };

    private final LongAdder[] counts = new LongAdder[BOUNDS_NANOS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    public LatencyHistogram() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void record(long nanos) {
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[bucket]) {
            bucket++;
        }
        counts[bucket].increment();
        sumNanos.add(nanos);
    }

    /** {@code <name>_buckets}: per-bucket (not cumulative) counts; {@code <name>_sum}: nanoseconds. */
    public void addTo(NvWriter reply, String name) {
        long[] snapshot = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            snapshot[i] = counts[i].sum();
        }
        reply.addUint64Array(name + "_buckets", snapshot);
        reply.addUint64(name + "_sum", sumNanos.sum());
    }
}
