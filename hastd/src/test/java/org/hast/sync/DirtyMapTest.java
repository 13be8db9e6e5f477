package org.hast.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.hast.activemap.ActiveMap;
import org.hast.conf.LocalIoMode;
import org.hast.meta.MetadataCodec;
import org.hast.local.LocalComponent;
import org.hast.worker.RecordingComponentIo;
import org.hast.worker.RecordingComponentIo.Call;
import org.hast.worker.RecordingComponentIo.Event;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rule of spec §7.3 under concurrency: no write may be issued before the bitmap that marks
 * its extents is on disk, also when another write added the extent a moment before and its
 * bitmap write is still pending.
 */
class DirtyMapTest {
    private static final long DATA_SIZE = 64L << 20;
    private static final int EXTENT = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void aWriteToAnExtentWhoseMarkIsPendingWaitsForIt() throws Exception {
        Path file = dir.resolve("disk");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), 8192 + DATA_SIZE - 1);
        }
        int extents = (int) (DATA_SIZE / EXTENT);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        try (LocalComponent local = LocalComponent.open(file);
                DirtyMap dirty = new DirtyMap(new ActiveMap(DATA_SIZE, EXTENT, extents, 512), local,
                        8192, new WorkerStats(), false)) {
            CountDownLatch issued = new CountDownLatch(2 * extents);
            for (int e = 0; e < extents; e++) {
                long offset = (long) e * EXTENT;
                int extent = e;
                Runnable check = () -> {
                    if (!markedOnDisk(local, extent)) {
                        violations.add("extent " + extent);
                    }
                    issued.countDown();
                };
                dirty.writeStart(offset, 4096, check);        // adds the extent: a bitmap write
                dirty.writeStart(offset + 4096, 4096, check); // changes nothing, must still wait
            }
            assertTrue(issued.await(30, TimeUnit.SECONDS));
        }
        assertEquals(0, violations.size(), violations.size() + " writes issued before their extent's mark was on "
                + "disk, first: " + violations.peek());
    }

    /**
     * With {@code metaflush on}, through the component's system calls in the order they happened:
     * every data write is issued after a synchronous (O_DSYNC) bitmap write that marks its extent
     * has returned; the bitmap is never written without it; and no extent is cleared on disk
     * before its last data write was made durable, by an {@code fdatasync} issued after it, or by
     * a write-back of its range issued after it and then a cache flush (a durable bitmap write)
     * issued after that write-back returned, before the clearing write. Both ways of clearing:
     * range write-back (Linux) and fdatasync (where the platform has no sync_file_range).
     * The second pass writes to extents that are still marked on disk without a bitmap write.
     */
    @ParameterizedTest(name = "range write-back {0}")
    @ValueSource(booleans = {true, false})
    void marksAreDurableBeforeTheirDataAndClearsOnlyAfterIt(boolean rangeWriteBack) throws Exception {
        int extents = (int) (DATA_SIZE / EXTENT);
        try (Recorded r = new Recorded(64, rangeWriteBack, BitmapClears.CLEAR_INTERVAL_NANOS)) {
            // Two passes: the second comes back to extents pushed off keepdirty, some still
            // marked on disk (no bitmap write needed), some with their clear under way.
            CountDownLatch written = new CountDownLatch(4 * extents);
            Thread[] writers = new Thread[2];
            for (int t = 0; t < writers.length; t++) {
                int half = t;
                writers[t] = new Thread(() -> {
                    for (int e = half; e < 2 * extents; e += 2) {
                        long start = (long) (e % extents) * EXTENT;
                        for (long offset : new long[] {start, start + EXTENT - 4096}) {
                            r.dirty.writeStart(offset, 4096, () -> {
                                r.writeData(offset);
                                r.dirty.writeComplete(offset, 4096);
                                written.countDown();
                            });
                        }
                    }
                });
                writers[t].start();
            }
            for (Thread writer : writers) {
                writer.join();
            }
            assertTrue(written.await(60, TimeUnit.SECONDS));
            r.close();
            OrderCheck check = r.check();
            assertEquals(4 * extents, check.dataWrites());
            assertTrue(check.clears() > 0, "the test never saw a clear (keepdirty 64 of " + extents + " extents)");
            assertEquals(rangeWriteBack, check.writeBacks() > 0, "write-backs: " + check.writeBacks());
            assertEquals(rangeWriteBack, check.flushes() == 0, "fdatasyncs: " + check.flushes());
        }
    }

    /**
     * A clear's write-back (or sync) runs while marks go on: a write that starts on an extent
     * after the clear took its note of clean extents, and completes before the write-back
     * returns, must not have its extent cleared by that clear (its data may have missed it). The
     * write-back is held until such a write has completed and left the map clean again
     * (keepdirty 1).
     */
    @ParameterizedTest(name = "range write-back {0}")
    @ValueSource(booleans = {true, false})
    void aClearNeverDropsAnExtentWrittenWhileItsSyncRan(boolean rangeWriteBack) throws Exception {
        CountDownLatch syncStarted = new CountDownLatch(1);
        CountDownLatch rewritten = new CountDownLatch(1);
        try (Recorded r = new Recorded(1, rangeWriteBack, BitmapClears.CLEAR_INTERVAL_NANOS)) {
            r.calls.beforeSync(() -> {
                if (syncStarted.getCount() > 0) {
                    syncStarted.countDown();
                    awaitQuietly(rewritten, 30);
                }
            });
            r.writeAndComplete(0);
            r.writeAndComplete(EXTENT);   // evicts extent 0: a clear is due
            assertTrue(syncStarted.await(30, TimeUnit.SECONDS), "no clear started its sync");
            r.writeAndComplete(0);        // after the note, before the sync returns
            r.writeAndComplete(2 * EXTENT); // evicts extent 0 again
            rewritten.countDown();
            r.close();
            OrderCheck check = r.check();
            assertEquals(4, check.dataWrites());
            assertTrue(check.clears() > 0, "the test never saw a clear");
        }
    }

    /**
     * A clear's write-back or {@code fdatasync} (every dirty data page of the provider: long
     * under load) is not on the marks' path: while it is held, a write to a new extent still gets
     * its durable mark and goes ahead. Before, the one flusher thread ran that sync, and marks
     * waited for it.
     */
    @ParameterizedTest(name = "range write-back {0}")
    @ValueSource(booleans = {true, false})
    void aMarkDoesNotWaitForAClearsSync(boolean rangeWriteBack) throws Exception {
        CountDownLatch syncStarted = new CountDownLatch(1);
        CountDownLatch markDone = new CountDownLatch(1);
        try (Recorded r = new Recorded(1, rangeWriteBack, BitmapClears.CLEAR_INTERVAL_NANOS)) {
            // Held until the mark below is durable and its write done (60 s at most, longer than
            // writeAndComplete waits: a flusher stuck in this sync fails the test).
            r.calls.beforeSync(() -> {
                if (syncStarted.getCount() > 0) {
                    syncStarted.countDown();
                    awaitQuietly(markDone, 60);
                }
            });
            // Extent 0 leaves keepdirty while its write is in flight: its completion asks for a clear.
            CountDownLatch released = new CountDownLatch(1);
            r.dirty.writeStart(0, 4096, released::countDown);
            assertTrue(released.await(30, TimeUnit.SECONDS));
            r.writeAndComplete(EXTENT);
            r.dirty.writeComplete(0, 4096);
            assertTrue(syncStarted.await(30, TimeUnit.SECONDS), "no clear started its sync");
            try {
                r.writeAndComplete(2 * EXTENT);
            } finally {
                markDone.countDown();
            }
        }
    }

    /**
     * An extent a mark pushes off keepdirty is cleared by writing back its own range only (no
     * fdatasync of the provider), while the map is open. The interval is 1 s here; the default
     * of 30 s for evicted extents is a performance choice (docs/performance-activemap.md).
     */
    @Test
    void anEvictedExtentIsClearedByAWriteBackOfItsRangeOnly() throws Exception {
        try (Recorded r = new Recorded(1, true, BitmapClears.CLEAR_INTERVAL_NANOS)) {
            r.writeAndComplete(0);
            r.writeAndComplete(EXTENT + 4096); // pushes extent 0 off keepdirty
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (markedOnDisk(r.local, 0) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(!markedOnDisk(r.local, 0), "extent 0 still marked on disk after 20 s");
            r.close();
            OrderCheck check = r.check();
            assertEquals(0, check.flushes(), "a clear made an fdatasync of the whole provider");
            assertEquals(List.of(new Range(r.dataStart, EXTENT)), r.writeBacks());
        }
    }

    /**
     * An extent pushed off keepdirty keeps its bit on disk until its clear (30 s later for an
     * eviction): writing to it again needs no bitmap write, and its clear is called off.
     */
    @Test
    void anExtentStillMarkedOnDiskIsWrittenWithoutABitmapWrite() throws Exception {
        try (Recorded r = new Recorded(1, true, TimeUnit.SECONDS.toNanos(3600))) {
            r.writeAndComplete(0);
            r.writeAndComplete(EXTENT);       // pushes extent 0 off keepdirty; its bit stays on disk
            long bitmapWrites = r.bitmapWrites();
            r.writeAndComplete(4096);         // extent 0 again
            r.writeAndComplete(2 * EXTENT + 4096); // pushes it off again: a new extent, one write
            assertEquals(bitmapWrites + 1, r.bitmapWrites(), "bitmap writes for two marks, one of them on disk already");
            assertTrue(markedOnDisk(r.local, 0));
            r.close();
            OrderCheck check = r.check();
            assertEquals(4, check.dataWrites());
        }
    }

    /**
     * While the bitmap write that drops an evicted extent's bit is under way, the bit on disk is
     * about to go: a write to that extent must wait for a bitmap write of its own. The hook runs
     * on the flusher, inside the clearing write, after its image was taken.
     */
    @Test
    void aWriteDuringTheClearOfItsExtentWaitsForANewMark() throws Exception {
        AtomicReference<String> early = new AtomicReference<>();
        CountDownLatch tried = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        try (Recorded r = new Recorded(1, true, BitmapClears.CLEAR_INTERVAL_NANOS)) {
            r.writeAndComplete(0);
            r.calls.beforeDurableWrite(image -> {
                if ((image[0] & 1) == 0 && tried.getCount() > 0) {
                    boolean[] ran = {false};
                    r.dirty.writeStart(0, 4096, () -> {
                        ran[0] = true;
                        r.writeData(0);
                        r.dirty.writeComplete(0, 4096);
                        released.countDown();
                    });
                    if (ran[0]) {
                        early.set("the write ran inside the bitmap write that clears its extent");
                    }
                    tried.countDown();
                }
            });
            r.writeAndComplete(EXTENT);       // evicts extent 0: its clear comes within a second or two
            assertTrue(tried.await(30, TimeUnit.SECONDS), "extent 0 was never cleared");
            assertTrue(released.await(30, TimeUnit.SECONDS), "the write to extent 0 was never released");
            assertEquals(null, early.get());
            r.close();
            assertTrue(r.check().clears() > 0);
        }
    }

    /** A provider file with its calls recorded and a DirtyMap with metaflush on. */
    private final class Recorded implements AutoCloseable {
        final ActiveMap map;
        final long dataStart;
        final RecordingComponentIo calls;
        final LocalComponent local;
        final DirtyMap dirty;
        private boolean closed;

        Recorded(int keepDirty, boolean rangeWriteBack, Long evictionClearIntervalNanos) throws java.io.IOException {
            map = new ActiveMap(DATA_SIZE, EXTENT, keepDirty, 512);
            dataStart = MetadataCodec.METADATA_SIZE + map.onDiskSize();
            Path file = dir.resolve("disk");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(1), dataStart + DATA_SIZE - 1);
            }
            AtomicReference<RecordingComponentIo> recording = new AtomicReference<>();
            local = LocalComponent.open(file, LocalIoMode.BUFFERED, io -> {
                recording.set(new RecordingComponentIo(io));
                return recording.get();
            });
            calls = recording.get();
            if (!rangeWriteBack) {
                calls.refuseWriteBacks();
            }
            dirty = new DirtyMap(map, local, dataStart, new WorkerStats(), true, evictionClearIntervalNanos);
        }

        void writeData(long offset) {
            try {
                local.writeFully(ByteBuffer.allocate(4096), dataStart + offset);
            } catch (java.io.IOException failed) {
                throw new java.io.UncheckedIOException(failed);
            }
        }

        /** One 4 KiB write at {@code offset} as the pipeline makes it: mark, data, completion. */
        void writeAndComplete(long offset) throws InterruptedException {
            CountDownLatch done = new CountDownLatch(1);
            dirty.writeStart(offset, 4096, () -> {
                writeData(offset);
                dirty.writeComplete(offset, 4096);
                done.countDown();
            });
            assertTrue(done.await(30, TimeUnit.SECONDS), "write at " + offset + " never released");
        }

        OrderCheck check() {
            return OrderCheck.of(calls.events(), map.onDiskSize(), map.extentCount(), dataStart);
        }

        long bitmapWrites() {
            return calls.events().stream().filter(e -> e.call() == Call.WRITE_DURABLE).count();
        }

        List<Range> writeBacks() {
            return calls.events().stream().filter(e -> e.call() == Call.WRITE_BACK)
                    .map(e -> new Range(e.position(), e.length())).toList();
        }

        /** Closes the map (its clears go at once) and the component; again does nothing. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                dirty.close();
                local.close();
            }
        }
    }

    private record Range(long position, long length) {
    }

    /**
     * Bitmap writes overlap the continuations of the last one: while a released write's
     * continuation (the pipeline's dispatch) still runs, the next mark is written by the other
     * flusher. Here the first continuation only returns once a later mark's continuation ran.
     */
    @Test
    void theNextMarkIsWrittenWhileTheLastOnesContinuationRuns() throws Exception {
        Path file = dir.resolve("disk");
        ActiveMap map = new ActiveMap(DATA_SIZE, EXTENT, 64, 512);
        long dataStart = MetadataCodec.METADATA_SIZE + map.onDiskSize();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), dataStart + DATA_SIZE - 1);
        }
        try (LocalComponent local = LocalComponent.open(file);
                DirtyMap dirty = new DirtyMap(map, local, dataStart, new WorkerStats(), true)) {
            CountDownLatch firstRunning = new CountDownLatch(1);
            CountDownLatch secondRan = new CountDownLatch(1);
            // 60 s, longer than the test waits below: one flusher stuck here fails the test.
            dirty.writeStart(0, 4096, () -> {
                firstRunning.countDown();
                awaitQuietly(secondRan, 60);
            });
            assertTrue(firstRunning.await(30, TimeUnit.SECONDS));
            dirty.writeStart(EXTENT, 4096, secondRan::countDown);
            assertTrue(secondRan.await(30, TimeUnit.SECONDS), "the second mark waited for the first continuation");
            dirty.writeComplete(0, 4096);
            dirty.writeComplete(EXTENT, 4096);
        }
    }

    private static boolean awaitQuietly(CountDownLatch latch, int seconds) {
        try {
            return latch.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Replays the component's calls in order (metaflush on): every data write follows a durable
     * bitmap write that marks its extent, the bitmap is only written with O_DSYNC, every
     * {@code fdatasync} is followed by a bitmap write (only clears pay one), and an extent is
     * cleared on disk only once its last data write is durable: an {@code fdatasync} issued after
     * it has returned, or a write-back of its range issued after it has returned and then a
     * cache flush (an fdatasync or a durable bitmap write) issued after that write-back returned
     * has returned too. The clearing write's own flush does not count: its bitmap sector may
     * reach stable storage before the data that the flush would have made durable with it.
     */
    private record OrderCheck(int dataWrites, int clears, int writeBacks, int flushes) {
        static OrderCheck of(List<Event> events, int onDiskSize, int extents, long dataStart) {
            byte[] durable = new byte[onDiskSize];
            int[] lastDataWrite = new int[extents];
            java.util.Arrays.fill(lastDataWrite, -1);
            // Per extent, the latest event before which its data is durable.
            int[] durableUpTo = new int[extents];
            java.util.Arrays.fill(durableUpTo, -1);
            // Write-backs returned and not yet followed by a cache flush issued after them.
            List<Integer> unflushedWriteBacks = new java.util.ArrayList<>();
            boolean syncUnused = false;
            int dataWrites = 0;
            int clears = 0;
            int writeBacks = 0;
            int flushes = 0;
            for (int i = 0; i < events.size(); i++) {
                Event event = events.get(i);
                if (event.call() == Call.WRITE_BACK) {
                    writeBacks++;
                    unflushedWriteBacks.add(i);
                    continue;
                }
                if (event.call() == Call.FLUSH) {
                    flushes++;
                    for (int e = 0; e < extents; e++) {
                        durableUpTo[e] = Math.max(durableUpTo[e], event.issuedAfter());
                    }
                    flushed(events, unflushedWriteBacks, event.issuedAfter(), durableUpTo, dataStart);
                    syncUnused = true;
                    continue;
                }
                if (event.position() < dataStart) {
                    assertEquals(Call.WRITE_DURABLE, event.call(), "call " + i + ": the bitmap written without O_DSYNC");
                    assertEquals(MetadataCodec.METADATA_SIZE, event.position());
                    syncUnused = false;
                    byte[] image = event.bytes();
                    for (int e = 0; e < extents; e++) {
                        boolean was = (durable[e / 8] & (1 << (e % 8))) != 0;
                        boolean now = (image[e / 8] & (1 << (e % 8))) != 0;
                        if (was && !now) {
                            clears++;
                            if (durableUpTo[e] <= lastDataWrite[e]) {
                                throw new AssertionError("call " + i + ": extent " + e + " cleared on disk before "
                                        + "the data written to it (call " + lastDataWrite[e] + ") was made durable");
                            }
                        }
                    }
                    durable = image;
                    // Only now: this write's flush makes durable what was written back before it.
                    flushed(events, unflushedWriteBacks, event.issuedAfter(), durableUpTo, dataStart);
                    continue;
                }
                dataWrites++;
                int extent = (int) ((event.position() - dataStart) / EXTENT);
                lastDataWrite[extent] = i;
                if ((durable[extent / 8] & (1 << (extent % 8))) == 0) {
                    throw new AssertionError("call " + i + ": data written to extent " + extent
                            + " before a durable bitmap write marked it");
                }
            }
            assertTrue(!syncUnused, "an fdatasync not followed by the bitmap write it makes safe");
            return new OrderCheck(dataWrites, clears, writeBacks, flushes);
        }

        /** A cache flush issued after event {@code issuedAfter - 1} returned. */
        private static void flushed(List<Event> events, List<Integer> unflushedWriteBacks, int issuedAfter,
                                    int[] durableUpTo, long dataStart) {
            for (java.util.Iterator<Integer> it = unflushedWriteBacks.iterator(); it.hasNext();) {
                int index = it.next();
                if (index >= issuedAfter) {
                    continue;
                }
                it.remove();
                Event writeBack = events.get(index);
                long first = (writeBack.position() - dataStart) / EXTENT;
                long last = (writeBack.position() + writeBack.length() - 1 - dataStart) / EXTENT;
                for (long e = first; e <= last; e++) {
                    durableUpTo[(int) e] = Math.max(durableUpTo[(int) e], writeBack.issuedAfter());
                }
            }
        }
    }

    private static boolean markedOnDisk(LocalComponent local, int extent) {
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            local.readFully(b, MetadataCodec.METADATA_SIZE + extent / 8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return (b.get(0) & (1 << (extent % 8))) != 0;
    }
}
