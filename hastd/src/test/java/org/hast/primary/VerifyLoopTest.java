package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;
import org.hast.sync.SyncRate;

/** The verify walk against a fake primary: what it reports, repairs, skips and refuses. */
class VerifyLoopTest {
    private static final long SIZE = 4L << 20;

    /** Blocks that differ on the "secondary"; extents the bitmap has pending. */
    private static final class FakeTarget implements VerifyLoop.Target {
        final Set<Long> differing = ConcurrentHashMap.newKeySet();
        final Set<Long> pendingExtents = ConcurrentHashMap.newKeySet();
        final List<Long> repaired = new CopyOnWriteArrayList<>();
        volatile boolean hashes = true;
        volatile int failAt = -1;

        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public boolean peerHashes() {
            return hashes;
        }

        @Override
        public void verifyStep(long offset, int length, VerifyResult done) {
            if (failAt >= 0 && offset >= failAt) {
                done.verified(107, 0);
                return;
            }
            long mask = 0;
            for (int b = 0; b * 4096 < length; b++) {
                if (differing.contains(offset + b * 4096L)) {
                    mask |= 1L << b;
                }
            }
            done.verified(0, mask);
        }

        @Override
        public boolean syncPending(long offset) {
            return pendingExtents.contains(offset >> 20);
        }

        @Override
        public void repair(long offset, int length) {
            repaired.add(offset);
        }
    }

    private static void await(VerifyLoop loop) throws InterruptedException {
        for (int i = 0; i < 1000 && loop.state() == VerifyLoop.State.RUNNING; i++) {
            Thread.sleep(10);
        }
    }

    @Test
    void reportsExactlyTheDifferingBlocksOutsidePendingExtents() throws Exception {
        FakeTarget target = new FakeTarget();
        target.differing.addAll(List.of(8192L, (1L << 20) + 4096, (3L << 20) + 131072 - 4096));
        target.pendingExtents.add(1L);
        try (VerifyLoop loop = new VerifyLoop(target, SyncRate.unlimited())) {
            assertNull(loop.start(false));
            await(loop);
            assertEquals(VerifyLoop.State.COMPLETE, loop.state());
            assertEquals(List.of(8192L, (3L << 20) + 131072 - 4096), loop.reportedBlocks());
            assertEquals(2, loop.mismatches());
            assertEquals(List.of(), target.repaired);
            NvWriter status = new NvWriter();
            loop.status(status);
            NvMessage nv = NvMessage.decode(status.encode());
            assertEquals("complete", nv.getString("verify_state"));
            assertEquals(SIZE, nv.getUint64("verify_done"));
            assertEquals(2, nv.getUint64("verify_mismatches"));
        }
    }

    @Test
    void repairMarksTheBlocks() throws Exception {
        FakeTarget target = new FakeTarget();
        target.differing.add(4096L);
        try (VerifyLoop loop = new VerifyLoop(target, SyncRate.unlimited())) {
            assertNull(loop.start(true));
            await(loop);
            assertEquals(List.of(4096L), target.repaired);
        }
    }

    @Test
    void refusedWithoutTheCapabilityAndFailsWhenTheLinkGoes() throws Exception {
        FakeTarget target = new FakeTarget();
        target.hashes = false;
        try (VerifyLoop loop = new VerifyLoop(target, SyncRate.unlimited())) {
            String refused = loop.start(false);
            assertNotNull(refused);
            assertTrue(refused.contains("does not support verify"), refused);
            assertEquals(VerifyLoop.State.IDLE, loop.state());
            target.hashes = true;
            target.failAt = 1 << 20;
            assertNull(loop.start(false));
            await(loop);
            assertEquals(VerifyLoop.State.FAILED, loop.state());
        }
    }
}
