package org.hast.testing;

import java.lang.management.ManagementFactory;

/**
 * What a piece of work allocates on the calling thread (HotSpot's per-thread counter): the
 * least over several runs, so that a run the JIT or a pool's first fill disturbed does not
 * count. Allocation tests assert a bound on it (issue #15: allocation per request ≈ 0).
 */
public final class ThreadAllocation {
    /** Work that may throw, run several times on the calling thread. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    private ThreadAllocation() {
    }

    /** Turns the counter on; false where the JVM has none (the test should be skipped then). */
    public static boolean supported() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        if (!threads.isThreadAllocatedMemorySupported()) {
            return false;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        return true;
    }

    /** Bytes {@code work} allocated on this thread, the least of {@code runs} runs. */
    public static long leastOf(int runs, Work work) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        for (int run = 0; run < runs; run++) {
            long before = threads.getThreadAllocatedBytes(thread);
            work.run();
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        return least;
    }
}
