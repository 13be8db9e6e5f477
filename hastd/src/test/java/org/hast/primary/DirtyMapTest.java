package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.hast.activemap.ActiveMap;
import org.hast.meta.MetadataCodec;
import org.hast.worker.LocalComponent;
import org.hast.worker.WorkerStats;
import org.junit.jupiter.api.Test;
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
                        new WorkerStats(), false)) {
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
