package org.hast.device.nbd;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector at PARANOID with the reports collected, so NBD tests can assert that
 * no buffer was dropped unreleased. Reports appear only after the leaked buffer is collected
 * and a later tracked allocation polls the detector, hence the GC-and-allocate rounds.
 */
final class NbdLeaks {
    private static final List<String> REPORTS = new ArrayList<>();
    private static boolean installed;

    private NbdLeaks() {
    }

    static synchronized void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        if (!installed) {
            ByteBufUtil.setLeakListener((type, records) -> {
                synchronized (REPORTS) {
                    REPORTS.add(type + ": " + records);
                }
            });
            installed = true;
        }
    }

    /** Every report so far (after provoking the detector). */
    static List<String> leaks() {
        for (int round = 0; round < 4; round++) {
            System.gc();
            for (int i = 0; i < 200; i++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (REPORTS) {
            return new ArrayList<>(REPORTS);
        }
    }
}
