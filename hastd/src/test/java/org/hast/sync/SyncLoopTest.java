package org.hast.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.activemap.ActiveMap;
import org.hast.block.BlockBackend;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync thread against a real activemap and a copier whose steps the test finishes by
 * hand: steps keep flowing across extent boundaries, an extent turns clean only when the last
 * of its steps finished (in whatever order they finish), and a failed step's extent is copied
 * again before the nodes count as in sync (A7).
 */
class SyncLoopTest {
    private static final int STEP = 128 * 1024;
    private static final int EXTENT = 2 * STEP;
    private static final int EXTENTS = 4;

    /** A step the loop asked for, finished by the test. */
    private record Step(long offset, int length, BlockBackend.Completion done) {
    }

    @TempDir
    Path dir;
    private LocalComponent local;
    private DirtyMap dirty;
    private SyncLoop loop;
    private final LinkedBlockingQueue<Step> steps = new LinkedBlockingQueue<>();
    private final List<Integer> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> inSync = new CompletableFuture<>();

    @BeforeEach
    void setUp() throws IOException {
        Path file = dir.resolve("disk");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), 4096 + 512 + (long) EXTENTS * EXTENT - 1);
        }
        local = LocalComponent.open(file);
        dirty = new DirtyMap(new ActiveMap((long) EXTENTS * EXTENT, EXTENT, 4, 512, STEP), local,
                4096 + 512, new WorkerStats(), false);
        loop = new SyncLoop(dirty, (offset, length, fromSecondary, done) -> steps.add(new Step(offset, length, done)),
                events::add);
    }

    @AfterEach
    void tearDown() {
        loop.close();
        dirty.close();
        local.close();
    }

    private Step next() throws InterruptedException {
        Step step = steps.poll(5, TimeUnit.SECONDS);
        assertNotNull(step, "the sync loop asked for another step");
        return step;
    }

    private boolean dirtyExtent(int extent) {
        return dirty.isDirty((long) extent * EXTENT);
    }

    @Test
    void extentTurnsCleanOnlyAfterItsLastStepWhileLaterExtentsAreAlreadyCopied() throws Exception {
        dirty.needSync(0, (long) EXTENTS * EXTENT);
        loop.start(false, () -> inSync.complete(null));

        // All eight steps are asked for before any finished: no wait at extent boundaries.
        Step[] s = new Step[EXTENTS * 2];
        for (int i = 0; i < s.length; i++) {
            s[i] = next();
            assertEquals((long) i * STEP, s[i].offset());
            assertEquals(STEP, s[i].length());
        }
        assertNull(steps.poll(100, TimeUnit.MILLISECONDS), "nothing more to copy");

        // Out of order: extent 1 done first, extent 0 only half.
        s[3].done().done(0);
        s[2].done().done(0);
        s[0].done().done(0);
        awaitClean(1);
        assertTrue(dirtyExtent(0), "extent 0 has a step in flight");
        s[1].done().done(0);
        awaitClean(0);

        // A failed step keeps its extent dirty and it is copied again in a later pass.
        s[4].done().done(0);
        s[5].done().done(5); // EIO
        s[6].done().done(0);
        s[7].done().done(0);
        awaitClean(3);
        assertTrue(dirtyExtent(2), "extent 2 had a failed step");
        assertFalse(inSync.isDone(), "not in sync while extent 2 is dirty");
        Step again = next(); // after the pause that follows a pass with failures
        assertEquals(2L * EXTENT, again.offset());
        again.done().done(0);
        next().done().done(0);
        inSync.get(5, TimeUnit.SECONDS);
        assertEquals(0, dirty.dirtyBytes());
        assertEquals(List.of(3, 4), events, "syncstart, then syncdone");
        assertEquals((long) (EXTENTS * 2 + 1) * STEP, loop.syncedBytes());
    }

    @Test
    void interruptedPassKeepsTheExtentsWhoseStepsFailedDirty() throws Exception {
        dirty.needSync(0, (long) EXTENTS * EXTENT);
        loop.start(false, () -> inSync.complete(null));
        Step[] s = new Step[EXTENTS * 2];
        for (int i = 0; i < s.length; i++) {
            s[i] = next();
        }
        // The link drops: what was on the wire fails, except the first three steps.
        loop.interrupt();
        for (int i = 0; i < s.length; i++) {
            s[i].done().done(i < 3 ? 0 : 107); // ENOTCONN
        }
        awaitClean(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!events.contains(5)) {
            assertTrue(System.nanoTime() < deadline, "syncintr emitted");
            Thread.sleep(5);
        }
        for (int e = 1; e < EXTENTS; e++) {
            assertTrue(dirtyExtent(e), "extent " + e + " had a failed step");
        }
        assertEquals(List.of(3, 5), events, "syncstart, then syncintr");
        assertFalse(inSync.isDone());
        assertNull(steps.poll(100, TimeUnit.MILLISECONDS), "no step after the interrupt");
        assertEquals(3L * EXTENT, dirty.dirtyBytes());
    }

    /**
     * A copier that takes more than one cursor step at a time gets the steps of an extent that
     * follow on as one copy, up to its limit and never across an extent boundary; the extents
     * still turn clean only when their copies finished, and a failed joined copy keeps its
     * extent for the next pass.
     */
    @Test
    void stepsOfAnExtentJoinUpToTheCopiersLimitButNotAcrossExtents() throws Exception {
        loop.close();
        dirty.close();
        int stepsPerExtent = 4;
        dirty = new DirtyMap(new ActiveMap((long) EXTENTS * stepsPerExtent * STEP, stepsPerExtent * STEP, 4, 512,
                STEP), local, 4096 + 512, new WorkerStats(), false);
        loop = new SyncLoop(dirty, new SyncCopier() {
            @Override
            public void syncCopy(long offset, int length, boolean fromSecondary, BlockBackend.Completion done) {
                steps.add(new Step(offset, length, done));
            }

            @Override
            public int maxCopyBytes() {
                return 3 * STEP;
            }
        }, events::add);
        long extent = (long) stepsPerExtent * STEP;
        // Extent 1 stays clean: extents 0 and 2 are not neighbours for the cursor.
        dirty.needSync(0, extent);
        dirty.needSync(2 * extent, 2 * extent);
        loop.start(false, () -> inSync.complete(null));

        Step[] s = new Step[6];
        for (int i = 0; i < s.length; i++) {
            s[i] = next();
        }
        long[][] expected = {{0, 3}, {3, 1}, {8, 3}, {11, 1}, {12, 3}, {15, 1}};
        for (int i = 0; i < s.length; i++) {
            assertEquals(expected[i][0] * STEP, s[i].offset(), "copy " + i);
            assertEquals(expected[i][1] * STEP, s[i].length(), "copy " + i);
        }
        assertNull(steps.poll(100, TimeUnit.MILLISECONDS), "nothing more to copy");
        s[1].done().done(0);
        assertTrue(dirty.isDirty(0), "extent 0 has a copy in flight");
        s[0].done().done(0);
        s[2].done().done(5); // EIO: extent 2 again in the next pass
        s[3].done().done(0);
        s[4].done().done(0);
        s[5].done().done(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dirty.isDirty(0) || dirty.isDirty(3 * extent)) {
            assertTrue(System.nanoTime() < deadline, "extents 0 and 3 never turned clean");
            Thread.sleep(5);
        }
        assertTrue(dirty.isDirty(2 * extent), "extent 2 had a failed copy");
        Step again = next();
        assertEquals(2 * extent, again.offset());
        assertEquals(3 * STEP, again.length());
        again.done().done(0);
        Step last = next();
        assertEquals(2 * extent + 3 * STEP, last.offset());
        last.done().done(0);
        inSync.get(5, TimeUnit.SECONDS);
        assertEquals(0, dirty.dirtyBytes());
        assertEquals((3L * stepsPerExtent + 1) * STEP, loop.syncedBytes(), "the failed copy counts not");
    }

    private void awaitClean(int extent) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dirtyExtent(extent)) {
            assertTrue(System.nanoTime() < deadline, "extent " + extent + " never turned clean");
            Thread.sleep(5);
        }
    }
}
