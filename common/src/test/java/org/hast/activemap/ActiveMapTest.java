package org.hast.activemap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

/**
 * ActiveMap semantics beyond the reference vectors: sizes, keepdirty, need_sync (A25),
 * load, merge (A32), and the sync cursor including failed steps (A7).
 */
class ActiveMapTest {
    private static final int K64 = 65536;
    private static final int M1 = 1 << 20;
    private static final int M2 = 2 << 20;

    /** The on-disk map with the given extents set, in mapSize bytes. */
    private static ByteBuffer mapWith(ActiveMap like, int... extents) {
        ByteBuffer b = ByteBuffer.allocate(like.mapSize());
        for (int e : extents) {
            b.put(e / 8, (byte) (b.get(e / 8) | 1 << (e % 8)));
        }
        return b;
    }

    private static void assertBalanced(ActiveMap map) {
        int dirty = 0;
        for (int e = 0; e < map.extentCount(); e++) {
            assertEquals(map.pendingCount(e) > 0, map.isDirty(e), "memmap bit of " + e);
            if (map.isSyncPending(e)) {
                assertTrue(map.pendingCount(e) >= map.requestsPerExtent(e), "sync owes " + e);
            }
            dirty += map.isDirty(e) ? 1 : 0;
        }
        assertEquals(dirty, map.dirtyExtents());
    }

    // ---- geometry ----

    @Test
    void sizes() {
        assertEquals(8, ActiveMap.mapSize(1, K64));
        assertEquals(8, ActiveMap.mapSize(64L * K64, K64));
        assertEquals(16, ActiveMap.mapSize(64L * K64 + 1, K64));
        assertEquals(128, ActiveMap.mapSize(67104256L, K64));
        assertEquals(512, ActiveMap.onDiskSize(67104256L, K64, 512));
        assertEquals(4096, ActiveMap.onDiskSize(67104256L, K64, 4096));
        assertEquals(2048, ActiveMap.onDiskSize(1L << 30, K64, 512));
        ActiveMap map = new ActiveMap(67104256L, K64, 4, 512);
        assertEquals(1024, map.extentCount());
        assertEquals(K64 - 4608, map.extentLength(1023));
        assertEquals(1, map.requestsPerExtent(0));
        assertEquals(1023, map.extentOf(67104255L));
        ActiveMap small = new ActiveMap(5L * M2 + 512, M2, 4, 512, 128 * 1024);
        assertEquals(16, small.requestsPerExtent(0));
        assertEquals(1, small.requestsPerExtent(5), "last extent of 512 bytes");
    }

    @Test
    void rejectsBadGeometryAndRanges() {
        assertThrows(IllegalArgumentException.class, () -> new ActiveMap(0, K64, 4, 512));
        assertThrows(IllegalArgumentException.class, () -> new ActiveMap(1 << 20, 3 * 4096, 4, 512));
        assertThrows(IllegalArgumentException.class, () -> new ActiveMap(1 << 20, K64, 0, 512));
        assertThrows(IllegalArgumentException.class, () -> new ActiveMap(1 << 20, K64, 4, 500));
        assertThrows(IllegalArgumentException.class, () -> new ActiveMap(1 << 20, K64, 4, 512, 0));
        ActiveMap map = new ActiveMap(1 << 20, K64, 4, 512);
        assertThrows(IllegalArgumentException.class, () -> map.writeStart(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> map.writeStart(1 << 20, 1));
        assertThrows(IllegalArgumentException.class, () -> map.writeStart((1 << 20) - 512, 1024));
        assertThrows(IllegalArgumentException.class, () -> map.needSync(0, -1));
        assertThrows(IllegalArgumentException.class, () -> map.isDirty(16));
        assertFalse(map.writeStart(0, 0), "zero length does nothing");
        assertFalse(map.writeComplete(0, 0));
        assertEquals(0, map.dirtyExtents());
    }

    // ---- writes and keepdirty ----

    @Test
    void keepDirtyIsAnLruOfWrittenExtents() {
        ActiveMap map = new ActiveMap(64L * K64, K64, 3, 512);
        assertTrue(map.writeStart(0, 1));
        assertTrue(map.writeStart(K64, 1));
        assertTrue(map.writeStart(2L * K64, 1));
        assertArrayEquals(new int[] {2, 1, 0}, map.keepDirtyExtents());
        assertFalse(map.writeStart(0, 1), "moved to the head, no flush");
        assertArrayEquals(new int[] {0, 2, 1}, map.keepDirtyExtents());
        assertTrue(map.writeStart(3L * K64, 1), "inserted, evicting 1");
        assertArrayEquals(new int[] {3, 0, 2}, map.keepDirtyExtents());
        assertEquals(4, map.dirtyExtents());
        // Extent 1 left the list while a write is in flight: completing it cleans it on disk.
        assertTrue(map.writeComplete(K64, 1));
        assertFalse(map.writeComplete(0, 1), "0 still has a write in flight");
        assertFalse(map.writeComplete(0, 1), "0 is clean in memory but kept dirty on disk");
        assertTrue(map.isDirtyOnDisk(0));
        assertFalse(map.isDirty(0));
        assertFalse(map.isDirtyOnDisk(1));
        assertBalanced(map);
    }

    @Test
    void writeSpanningExtentsAndUnbalancedCompletion() {
        ActiveMap map = new ActiveMap(16L * K64, K64, 8, 512);
        assertTrue(map.writeStart(K64 - 512, 1024 + K64));
        assertEquals(3, map.dirtyExtents());
        assertEquals(1, map.pendingCount(2));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> map.writeComplete(K64 - 512, 1024 + 2L * K64));
        assertTrue(e.getMessage().contains("extent 3"));
        assertEquals(1, map.pendingCount(1), "nothing changed by the refused call");
        assertFalse(map.writeComplete(K64 - 512, 1024 + K64));
        assertEquals(0, map.dirtyExtents());
    }

    @Test
    void deletesAreTrackedLikeWrites() {
        // Decisions A11: the caller brackets a DELETE with writeStart/writeComplete; the map
        // only sees ranges, so a 1 MiB discard dirties its 16 extents like a write would.
        ActiveMap map = new ActiveMap(64L * K64, K64, 64, 512);
        assertTrue(map.writeStart(M1, M1));
        assertEquals(16, map.dirtyExtents());
        assertTrue(map.needSync(M1, M1), "the peer missed it");
        assertFalse(map.writeComplete(M1, M1));
        assertEquals(16, map.syncPendingExtents());
    }

    // ---- need_sync (A25) ----

    @Test
    void needSyncBeforeOrAfterWriteCompleteStaysBalanced() {
        for (boolean beforeComplete : new boolean[] {true, false}) {
            ActiveMap map = new ActiveMap(16L * K64, K64, 1, 512);
            map.writeStart(0, 4096);
            map.writeStart(5L * K64, 4096); // evicts 0 from the keepdirty list
            if (beforeComplete) {
                assertTrue(map.needSync(0, 4096));
                assertFalse(map.writeComplete(0, 4096));
            } else {
                assertTrue(map.writeComplete(0, 4096), "clean and off the list");
                assertTrue(map.needSync(0, 4096), "dirty again");
            }
            assertEquals(1, map.pendingCount(0), "sync owes one request");
            assertTrue(map.isDirty(0));
            assertFalse(map.needSync(0, 512), "already marked");
            assertBalanced(map);
            assertEquals(-1, map.syncOffset(), "need_sync does not rewind the cursor");
            map.syncRewind();
            assertEquals(0, map.syncOffset());
            assertEquals(-1, map.syncOffset());
            assertEquals(0, map.syncFinishedExtent());
            assertTrue(map.extentComplete(0));
            assertFalse(map.isDirty(0));
            map.writeComplete(5L * K64, 4096);
            assertEquals(0, map.dirtyExtents());
            assertBalanced(map);
        }
    }

    // ---- load ----

    @Test
    void loadMakesEverythingDirtyAndToSync() {
        ActiveMap map = new ActiveMap(100L * K64 + 4096, K64, 4, 512);
        assertEquals(101, map.extentCount());
        ByteBuffer disk = ByteBuffer.allocate(map.onDiskSize());
        disk.put(0, (byte) 0x05);                      // extents 0 and 2
        disk.put(12, (byte) 0x30);                     // extents 100 (last) and 101 (beyond)
        disk.put(15, (byte) 0xff);                     // 120..127: beyond the last extent
        disk.put(300, (byte) 0xff);                    // padding: ignored
        map.load(disk);
        assertEquals(0, disk.position());
        assertEquals(3, map.dirtyExtents());
        assertEquals(3L * K64, map.dirtyBytes());
        assertTrue(map.isSyncPending(100));
        assertEquals(1, map.pendingCount(100));
        byte[] expected = new byte[map.onDiskSize()];
        expected[0] = 0x05;
        expected[12] = 0x10;
        assertArrayEquals(expected, ActiveMapVectorTest.bytes(map.bitmap()));
        assertThrows(IllegalStateException.class, () -> map.load(disk));
        assertThrows(IllegalArgumentException.class,
                () -> new ActiveMap(K64, K64, 4, 512).load(ByteBuffer.allocate(7)));
        // The cursor was rewound: the walk visits 0, 2, 100.
        assertEquals(0, map.syncOffset());
        assertEquals(2L * K64, map.syncOffset());
        assertEquals(0, map.syncFinishedExtent());
        assertEquals(100L * K64, map.syncOffset());
        assertEquals(4096, map.syncLength(), "the last extent is 4096 bytes");
        assertEquals(-1, map.syncOffset());
        assertEquals(100, map.syncFinishedExtent());
    }

    // ---- merge (A32) ----

    @Test
    void mergeAddsSyncRequestsToWritesInFlight() {
        ActiveMap map = new ActiveMap(16L * M2, M2, 4, 512, 128 * 1024);
        map.writeStart(3L * M2, 4096);
        map.writeStart(3L * M2 + 8192, 4096);
        map.merge(mapWith(map, 3, 7));
        assertEquals(2 + 16, map.pendingCount(3), "A32: added, not assigned");
        assertEquals(16, map.pendingCount(7));
        assertEquals(2, map.dirtyExtents());
        assertFalse(map.writeComplete(3L * M2, 4096));
        assertFalse(map.writeComplete(3L * M2 + 8192, 4096));
        assertTrue(map.isDirty(3), "still owes its sync");
        assertBalanced(map);
        // Sync everything: 16 steps of 128 KiB per extent.
        int steps = 0;
        long off;
        while ((off = map.syncOffset()) >= 0 || map.syncFinishedExtent() >= 0) {
            if (map.syncFinishedExtent() >= 0) {
                assertTrue(map.extentComplete(map.syncFinishedExtent()));
            }
            if (off >= 0) {
                assertEquals(128 * 1024, map.syncLength());
                steps++;
            }
        }
        assertEquals(32, steps);
        assertEquals(0, map.dirtyExtents());
        assertBalanced(map);
    }

    @Test
    void mergeUsesOnlyTheLocalMapSizeAndSkipsExtentsAlreadyToSync() {
        ActiveMap map = new ActiveMap(64L * K64, K64, 4, 512);
        map.needSync(0, 1);
        ByteBuffer peer = ByteBuffer.allocate(512); // the peer may send its whole on-disk map
        peer.put(0, (byte) 0x03);
        peer.put(8, (byte) 0xff);                   // beyond mapSize: ignored
        peer.position(0);
        map.merge(peer);
        assertEquals(1, map.pendingCount(0), "already to sync: unchanged");
        assertEquals(1, map.pendingCount(1));
        assertEquals(2, map.dirtyExtents());
        assertEquals(0, peer.position());
        assertThrows(IllegalArgumentException.class, () -> map.merge(ByteBuffer.allocate(4)));
        byte[] expected = new byte[512];
        expected[0] = 0x03;
        assertArrayEquals(expected, ActiveMapVectorTest.bytes(map.bitmap()));
    }

    // ---- the sync cursor ----

    @Test
    void cursorWithExtentsLargerThanMaxphysAndAShortLastExtent() {
        // 3 extents of 2 MiB, the last one 1.5 MiB; MAXPHYS 1 MiB.
        long dataSize = 2L * M2 + 3 * M1 / 2;
        ActiveMap map = new ActiveMap(dataSize, M2, 4, 512, M1);
        assertEquals(2, map.requestsPerExtent(2));
        assertEquals(-1, map.syncOffset(), "nothing to sync");
        map.load(mapWith(map, 0, 1, 2));
        long[][] expected = {
            // offset, length, finished extent reported by this call
            {0, M1, -1}, {M1, M1, -1}, {M2, M1, 0}, {M2 + M1, M1, -1},
            {2L * M2, M1, 1}, {2L * M2 + M1, M1 / 2, -1}, {-1, 0, 2},
        };
        for (long[] step : expected) {
            assertEquals(step[0], map.syncOffset());
            assertEquals(step[1], map.syncLength());
            assertEquals(step[2], map.syncFinishedExtent());
            if (step[2] >= 0) {
                assertTrue(map.extentComplete((int) step[2]));
            }
        }
        assertEquals(-1, map.syncOffset());
        assertEquals(-1, map.syncFinishedExtent());
        assertEquals(0, map.dirtyExtents());
        assertFalse(map.syncPending());
    }

    @Test
    void cursorWithExtentsSmallerThanMaxphysAndDataSizeNotAMultiple() {
        ActiveMap map = new ActiveMap(10L * K64 + 1000, K64, 4, 512);
        map.load(mapWith(map, 1, 9, 10));
        assertEquals(K64, map.syncOffset());
        assertEquals(K64, map.syncLength());
        assertEquals(9L * K64, map.syncOffset());
        assertEquals(1, map.syncFinishedExtent());
        assertEquals(10L * K64, map.syncOffset());
        assertEquals(1000, map.syncLength());
        assertEquals(9, map.syncFinishedExtent());
        assertEquals(-1, map.syncOffset());
        assertEquals(10, map.syncFinishedExtent());
    }

    @Test
    void rewindRestartsTheCurrentExtent() {
        ActiveMap map = new ActiveMap(4L * M2, M2, 4, 512, M1);
        map.load(mapWith(map, 1, 2));
        assertEquals(M2, map.syncOffset());
        assertEquals(M2 + M1, map.syncOffset());
        map.merge(mapWith(map, 0));                   // reconnect-style merge rewinds
        assertEquals(0, map.syncOffset(), "0 now comes first");
        assertEquals(M1, map.syncOffset());
        assertEquals(M2, map.syncOffset(), "1 again from its start");
        assertEquals(0, map.syncFinishedExtent());
    }

    // ---- failed sync steps (A7) ----

    /** Walks one pass; fails every step of the extents in {@code failing}. */
    private static int walk(ActiveMap map, int... failing) {
        int finished = 0;
        while (true) {
            long off = map.syncOffset();
            int done = map.syncFinishedExtent();
            if (done >= 0) {
                map.extentComplete(done);
                finished++;
            }
            if (off < 0) {
                return finished;
            }
            int e = map.extentOf(off);
            for (int f : failing) {
                if (f == e) {
                    assertFalse(map.syncFailed(e), "still in syncmap: no bitmap change");
                }
            }
        }
    }

    @Test
    void failedStepKeepsItsExtentForTheNextPass() {
        ActiveMap map = new ActiveMap(8L * M2, M2, 4, 512, M1);
        map.load(mapWith(map, 1, 3, 5));
        assertEquals(2, walk(map, 3), "1 and 5 finished, 3 kept");
        assertTrue(map.isSyncPending(3));
        assertTrue(map.isDirty(3));
        assertEquals(2, map.pendingCount(3));
        assertEquals(1, map.dirtyExtents());
        assertTrue(map.syncPending(), "the caller must not declare the nodes in sync");
        assertBalanced(map);
        map.syncRewind();
        assertEquals(1, walk(map), "the retry succeeds");
        assertEquals(0, map.dirtyExtents());
        assertFalse(map.syncPending());
        assertBalanced(map);
    }

    @Test
    void failureReportedAfterTheCursorLeftTheExtent() {
        for (boolean beforeComplete : new boolean[] {true, false}) {
            ActiveMap map = new ActiveMap(8L * K64, K64, 4, 512);
            map.load(mapWith(map, 2, 4));
            assertEquals(2L * K64, map.syncOffset());
            assertEquals(4L * K64, map.syncOffset());
            assertEquals(2, map.syncFinishedExtent());
            if (beforeComplete) {
                assertTrue(map.syncFailed(2));
                assertFalse(map.extentComplete(2));
            } else {
                assertTrue(map.extentComplete(2));
                assertTrue(map.syncFailed(2));
            }
            assertTrue(map.isDirty(2));
            assertEquals(1, map.pendingCount(2));
            assertEquals(-1, map.syncOffset(), "2 is behind the cursor: next pass");
            assertTrue(map.extentComplete(map.syncFinishedExtent()));
            assertTrue(map.syncPending());
            map.syncRewind();
            assertEquals(1, walk(map));
            assertEquals(0, map.dirtyExtents());
            assertBalanced(map);
        }
    }

    @Test
    void remoteWriteFailureInsideTheExtentBeingSynced() {
        // A25 meets the sync: extent 1 is half copied when a write to its first half fails
        // remotely; the copy of that half is stale, so the extent must not be cleaned.
        ActiveMap map = new ActiveMap(4L * M2, M2, 4, 512, M1);
        map.load(mapWith(map, 1));
        assertEquals(M2, map.syncOffset());
        assertEquals(M2 + M1, map.syncOffset());
        map.writeStart(M2, 4096);
        assertFalse(map.needSync(M2, 4096), "already to sync");
        map.writeComplete(M2, 4096);
        assertEquals(-1, map.syncOffset());
        assertEquals(-1, map.syncFinishedExtent(), "kept");
        assertTrue(map.isSyncPending(1));
        map.syncRewind();
        assertEquals(1, walk(map));
        assertEquals(0, map.dirtyExtents());
    }

    @Test
    void extentsMarkedBehindTheCursorWaitForTheNextPass() {
        ActiveMap map = new ActiveMap(8L * K64, K64, 4, 512);
        map.load(mapWith(map, 3, 6));
        assertEquals(3L * K64, map.syncOffset());
        assertEquals(6L * K64, map.syncOffset());
        map.extentComplete(map.syncFinishedExtent());
        assertTrue(map.needSync(0, 1));
        assertTrue(map.needSync(7L * K64, 1));
        assertEquals(7L * K64, map.syncOffset(), "ahead: this pass");
        map.extentComplete(map.syncFinishedExtent());
        assertEquals(-1, map.syncOffset());
        map.extentComplete(map.syncFinishedExtent());
        assertTrue(map.isSyncPending(0));
        map.syncRewind();
        assertEquals(0, map.syncOffset());
    }

    @Test
    void extentCompleteRequiresTheSyncRequests() {
        ActiveMap map = new ActiveMap(8L * M2, M2, 4, 512, M1);
        map.writeStart(0, 1);
        assertThrows(IllegalStateException.class, () -> map.extentComplete(0));
        assertEquals(1, map.pendingCount(0));
    }

    // ---- bitmap output ----

    @Test
    void bitmapLayoutAndPadding() {
        ActiveMap map = new ActiveMap(130L * K64, K64, 2, 512);
        map.writeStart(0, 1);                          // keepdirty, then clean in memory
        map.writeComplete(0, 1);
        map.needSync(129L * K64, 1);                   // bit 129: byte 16, bit 1
        map.needSync(63L * K64, 2L * K64);             // bits 63 and 64
        assertEquals(24, map.mapSize());
        byte[] expected = new byte[512];
        expected[0] = 0x01;
        expected[7] = (byte) 0x80;
        expected[8] = 0x01;
        expected[16] = 0x02;
        assertArrayEquals(expected, ActiveMapVectorTest.bytes(map.bitmap()));

        ByteBuffer be = ByteBuffer.allocateDirect(2000).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 2000; i++) {
            be.put(i, (byte) 0xee);
        }
        be.position(10);
        map.writeBitmap(be);
        assertEquals(522, be.position());
        byte[] got = new byte[512];
        be.position(10);
        be.get(got);
        assertArrayEquals(expected, got);
        assertEquals((byte) 0xee, be.get(522));

        ByteBuffer exact = ByteBuffer.allocate(1000);
        map.writeBitmap(exact, 1000);                  // e.g. localoff - 4096 (A5)
        assertEquals(1000, exact.position());
        assertEquals(0, exact.get(999));
        assertThrows(IllegalArgumentException.class, () -> map.writeBitmap(ByteBuffer.allocate(100), 23));
        assertThrows(IllegalArgumentException.class, () -> map.writeBitmap(ByteBuffer.allocate(100)));
    }
}
