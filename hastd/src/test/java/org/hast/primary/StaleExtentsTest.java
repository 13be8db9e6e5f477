package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.local.StaleExtentsFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The A10 set and its file: a stale mark is on disk before the caller hears of it, a repair is
 * stored too, and a write to a repaired extent waits until the repair is on disk.
 */
class StaleExtentsTest {
    private static final int EXTENT = 1 << 20;

    @TempDir
    Path dir;
    private StaleExtents stale;

    @AfterEach
    void close() {
        if (stale != null) {
            stale.close();
        }
    }

    private BitSet onDisk(StaleExtentsFile file) throws IOException {
        return file.load(42, EXTENT, 16).extents();
    }

    @Test
    void aMarkIsOnDiskBeforeItsCallbackAndARepairRemovesIt() throws Exception {
        StaleExtentsFile file = new StaleExtentsFile(dir, "r0");
        stale = new StaleExtents(EXTENT, file, () -> 42);
        CompletableFuture<BitSet> seen = new CompletableFuture<>();
        stale.mark(3L * EXTENT - 512, 4096, errno -> {
            try {
                seen.complete(errno == 0 ? onDisk(file) : null);
            } catch (IOException e) {
                seen.completeExceptionally(e);
            }
        });
        BitSet expected = new BitSet();
        expected.set(2, 4);
        assertEquals(expected, seen.get(10, TimeUnit.SECONDS), "extents 2 and 3 stored before the callback");
        assertTrue(stale.anyIn(2L * EXTENT, 512));
        assertFalse(stale.anyIn(4L * EXTENT, 512));

        assertTrue(stale.repaired(2));
        assertFalse(stale.repaired(2), "only once");
        CompletableFuture<BitSet> afterRepair = new CompletableFuture<>();
        stale.whenSettled(2L * EXTENT, 4096, () -> {
            try {
                afterRepair.complete(onDisk(file));
            } catch (IOException e) {
                afterRepair.completeExceptionally(e);
            }
        });
        BitSet left = new BitSet();
        left.set(3);
        assertEquals(left, afterRepair.get(10, TimeUnit.SECONDS),
                "a write to a repaired extent starts only once the repair is on disk");
        assertTrue(stale.repaired(3));
        stale.close();
        assertFalse(Files.exists(file.path()), "an empty set leaves no file");
    }

    @Test
    void aMarkThatCannotBeStoredReportsEio() throws Exception {
        Path blocker = Files.writeString(dir.resolve("not-a-directory"), "");
        stale = new StaleExtents(EXTENT, new StaleExtentsFile(blocker.resolve("state"), "r0"), () -> 42);
        CompletableFuture<Integer> errno = new CompletableFuture<>();
        stale.mark(0, 4096, errno::complete);
        assertEquals(5, errno.get(10, TimeUnit.SECONDS));
        assertTrue(stale.anyIn(0, 4096), "still read from the secondary");
    }

    @Test
    void restoredExtentsAreStale() {
        stale = new StaleExtents(EXTENT, null, () -> 42);
        BitSet loaded = new BitSet();
        loaded.set(5);
        stale.restore(loaded);
        assertTrue(stale.anyIn(5L * EXTENT + 7 * 512, 512));
        assertEquals(1, stale.count());
        assertEquals(1, stale.forgetAll());
        assertFalse(stale.anyIn(5L * EXTENT, 512));
    }
}
