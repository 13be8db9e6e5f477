package org.hast.testing;

import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * Runs test code on a Netty thread, as an event loop's code runs: Netty recycles some objects
 * (a reply's buffer, a pooled buffer's wrapper) only on such threads, so an allocation test on
 * the main thread would measure what no worker allocates.
 */
public final class NettyThread {
    private NettyThread() {
    }

    /** Runs {@code work} on a new Netty thread named {@code name} and waits; rethrows its failure. */
    public static void run(String name, ThreadAllocation.Work work) throws Throwable {
        Throwable[] failure = new Throwable[1];
        Thread thread = new FastThreadLocalThread(() -> {
            try {
                work.run();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, name);
        thread.start();
        thread.join();
        if (failure[0] != null) {
            throw failure[0];
        }
    }
}
