package org.hast.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pacing and the adaptive controller on a fake clock: no sleeping, no timing asserts. */
class SyncRateTest {
    /** A clock that moves only when someone sleeps on it (or the test moves it). */
    static final class FakeClock implements SyncRate.Clock {
        long now = 1_000_000_000L;
        long slept;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepNanos(long nanos) {
            now += nanos;
            slept += nanos;
        }
    }

    @Test
    void aFixedRateIsNeverExceeded() throws Exception {
        FakeClock clock = new FakeClock();
        long rate = 10L << 20;
        SyncRate pacing = new SyncRate(() -> rate, clock);
        long start = clock.now;
        int steps = 800;
        for (int i = 0; i < steps; i++) {
            pacing.acquire(128 * 1024);
        }
        long bytes = steps * 128L * 1024;
        // The last step starts after the others had their share: 799 steps at 10 MiB/s.
        double seconds = (clock.now - start) / 1e9;
        assertTrue(bytes - 128 * 1024 <= rate * seconds, "paced: " + bytes + " bytes in " + seconds + " s");
        assertTrue(bytes <= rate * (seconds + 0.05) + 128 * 1024, "within one step and the burst");
    }

    @Test
    void idleTimeBuysAtMostTheBurst() throws Exception {
        FakeClock clock = new FakeClock();
        SyncRate pacing = new SyncRate(() -> 1L << 20, clock);
        pacing.acquire(1 << 20);
        clock.now += 60_000_000_000L; // a minute idle
        long sleptBefore = clock.slept;
        // 50 ms of credit at 1 MiB/s is 51 KiB: the first 64 KiB step goes at once, the second waits.
        pacing.acquire(64 * 1024);
        assertEquals(sleptBefore, clock.slept);
        pacing.acquire(64 * 1024);
        assertTrue(clock.slept > sleptBefore, "the burst is capped");
    }

    @Test
    void noLimitNeverWaits() throws Exception {
        FakeClock clock = new FakeClock();
        SyncRate pacing = new SyncRate(() -> 0, clock);
        for (int i = 0; i < 1000; i++) {
            pacing.acquire(1 << 20);
        }
        assertEquals(0, clock.slept);
    }

    @Test
    void adaptiveHalvesAboveTheTargetAndGrowsBelowIt() {
        FakeClock clock = new FakeClock();
        long[] latency = {0, 0};
        AdaptiveRate rate = new AdaptiveRate(10, new AdaptiveRate.WriteLatency() {
            @Override
            public long totalNanos() {
                return latency[0];
            }

            @Override
            public long count() {
                return latency[1];
            }
        }, clock);
        long start = rate.getAsLong();
        // A tick of writes at 30 ms each: over the 10 ms target.
        latency[0] += 100 * 30_000_000L;
        latency[1] += 100;
        clock.now += AdaptiveRate.TICK_NANOS;
        assertEquals(start / 2, rate.getAsLong());
        assertEquals(30_000_000L, rate.lastMeanNanos());
        // Within one tick nothing moves.
        assertEquals(start / 2, rate.getAsLong());
        // Many slow ticks: down to the floor, never below.
        for (int i = 0; i < 40; i++) {
            latency[0] += 100 * 30_000_000L;
            latency[1] += 100;
            clock.now += AdaptiveRate.TICK_NANOS;
            rate.getAsLong();
        }
        assertEquals(AdaptiveRate.MIN_RATE, rate.getAsLong());
        // Fast writes (2 ms): it grows again.
        latency[0] += 100 * 2_000_000L;
        latency[1] += 100;
        clock.now += AdaptiveRate.TICK_NANOS;
        assertTrue(rate.getAsLong() > AdaptiveRate.MIN_RATE);
        // Between 80 % and 100 % of the target it holds.
        long held = rate.getAsLong();
        latency[0] += 100 * 9_000_000L;
        latency[1] += 100;
        clock.now += AdaptiveRate.TICK_NANOS;
        assertEquals(held, rate.getAsLong());
        // No application writes: nothing to protect, it grows.
        clock.now += AdaptiveRate.TICK_NANOS;
        assertTrue(rate.getAsLong() > held);
    }
}
