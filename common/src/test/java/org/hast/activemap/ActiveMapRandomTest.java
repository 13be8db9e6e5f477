package org.hast.activemap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Random interleavings of everything the primary does to the map (writes in flight, remote
 * failures, reconnect merges, sync passes with failing steps) must keep the accounting
 * balanced, and once all writes have completed and a pass without failures has run, nothing
 * is dirty in memory and only the keepdirty extents remain set on disk.
 */
class ActiveMapRandomTest {
    @Test
    void randomOperationsStayBalanced() {
        long seed = new Random().nextLong();
        System.out.println("ActiveMapRandomTest seed=" + seed);
        for (long s : new long[] {1, 2, 3, seed}) {
            run(s);
        }
    }

    private static void run(long seed) {
        Random rnd = new Random(seed);
        int extent = 1 << (14 + rnd.nextInt(4));
        int maxPhys = 1 << (13 + rnd.nextInt(5));
        long dataSize = (long) extent * (1 + rnd.nextInt(40)) + rnd.nextInt(extent);
        ActiveMap map = new ActiveMap(dataSize, extent, 1 + rnd.nextInt(6), 512, maxPhys);
        List<long[]> inFlight = new ArrayList<>();
        String where = "seed " + seed;
        for (int step = 0; step < 5000; step++) {
            switch (rnd.nextInt(8)) {
                case 0:
                case 1: {
                    long off = (long) (rnd.nextDouble() * dataSize);
                    long len = 1 + (long) (rnd.nextDouble() * Math.min(dataSize - off, 3L * extent));
                    map.writeStart(off, len);
                    inFlight.add(new long[] {off, len});
                    break;
                }
                case 2:
                    if (!inFlight.isEmpty()) {
                        long[] w = inFlight.remove(rnd.nextInt(inFlight.size()));
                        if (rnd.nextInt(4) == 0) {
                            map.needSync(w[0], w[1]); // remote failure, either side of completion
                        }
                        map.writeComplete(w[0], w[1]);
                        if (rnd.nextInt(4) == 0) {
                            map.needSync(w[0], w[1]);
                        }
                    }
                    break;
                case 3: {
                    byte[] peer = new byte[map.mapSize() + rnd.nextInt(16)];
                    for (int i = 0; i < 3; i++) {
                        int e = rnd.nextInt(map.extentCount());
                        peer[e / 8] |= (byte) (1 << (e % 8));
                    }
                    map.merge(java.nio.ByteBuffer.wrap(peer));
                    break;
                }
                case 4:
                    map.syncRewind();
                    break;
                default: {
                    long off = map.syncOffset();
                    if (map.syncFinishedExtent() >= 0) {
                        map.extentComplete(map.syncFinishedExtent());
                    }
                    if (off >= 0) {
                        assertTrue(map.syncLength() > 0 && map.syncLength() <= maxPhys, where);
                        assertTrue(off + map.syncLength() <= dataSize, where);
                        if (rnd.nextInt(10) == 0) {
                            map.syncFailed(map.extentOf(off));
                        }
                    }
                }
            }
            if (step % 97 == 0) {
                check(map, where);
            }
        }
        for (long[] w : inFlight) {
            map.writeComplete(w[0], w[1]);
        }
        // Finish the pass in progress (it may keep failed extents), then one clean pass.
        for (int pass = 0; pass < 2; pass++) {
            while (true) {
                long off = map.syncOffset();
                if (map.syncFinishedExtent() >= 0) {
                    map.extentComplete(map.syncFinishedExtent());
                }
                if (off < 0) {
                    break;
                }
            }
            map.syncRewind();
        }
        check(map, where);
        assertEquals(0, map.dirtyExtents(), where);
        assertFalse(map.syncPending(), where);
        int[] kept = map.keepDirtyExtents();
        for (int e = 0; e < map.extentCount(); e++) {
            boolean listed = false;
            for (int k : kept) {
                listed |= k == e;
            }
            assertEquals(listed, map.isDirtyOnDisk(e), where + " extent " + e);
        }
    }

    private static void check(ActiveMap map, String where) {
        int dirty = 0;
        for (int e = 0; e < map.extentCount(); e++) {
            assertEquals(map.pendingCount(e) > 0, map.isDirty(e), where + " extent " + e);
            if (map.isSyncPending(e)) {
                assertTrue(map.pendingCount(e) >= map.requestsPerExtent(e), where + " extent " + e);
            }
            dirty += map.isDirty(e) ? 1 : 0;
        }
        assertEquals(dirty, map.dirtyExtents(), where);
    }
}
