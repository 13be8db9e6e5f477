package org.hast.link;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector at PARANOID (every buffer tracked) with a listener that collects the
 * reports, so a test can fail on them instead of only logging them. Reports surface when a
 * leaked buffer has been collected and a later allocation polls the reference queue, hence
 * the GC and allocation loop in {@link #leaks()}.
 *
 * <p>A test class says {@code @ExtendWith(LeakWatch.class)}: the detector is on before its first
 * test, and the class fails after its last one if any buffer but the canary leaked.
 */
final class LeakWatch implements BeforeAllCallback, AfterAllCallback {
    /** Touch hint marking the buffers a self-test leaks on purpose. */
    static final String CANARY = "hast-leak-canary";

    private static final List<String> REPORTS = new ArrayList<>();
    private static boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = leaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " leaked buffers: " + leaks);
        }
    }

    static synchronized void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        if (!installed) {
            ByteBufUtil.setLeakListener((resourceType, records) -> {
                synchronized (REPORTS) {
                    REPORTS.add(resourceType + ": " + records);
                }
            });
            installed = true;
        }
    }

    /**
     * A tracked buffer dropped without release, for a self-test of the detector. Made on a
     * fresh thread so that the ERROR line Netty logs for it carries a short stack.
     */
    static void leakCanary() {
        Thread t = new Thread(() -> PooledByteBufAllocator.DEFAULT.heapBuffer(8).touch(CANARY),
                "leak-canary");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Collects garbage and allocates until reports stop coming; returns the non-canary ones. */
    static List<String> leaks() {
        // pooled: unpooled heap buffers are never tracked, so they would not poll the queue
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        for (int round = 0; round < 5; round++) {
            System.gc();
            for (int i = 0; i < 200; i++) {
                ByteBuf probe = alloc.heapBuffer(16);
                probe.release();
            }
            sleep(20);
        }
        List<String> out = new ArrayList<>();
        synchronized (REPORTS) {
            for (String r : REPORTS) {
                if (!r.contains(CANARY)) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** Whether a canary leak (a buffer touched with {@link #CANARY}) has been reported. */
    static boolean canaryReported() {
        synchronized (REPORTS) {
            return REPORTS.stream().anyMatch(r -> r.contains(CANARY));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
