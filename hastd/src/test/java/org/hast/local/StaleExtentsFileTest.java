package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The A10 state file: round trip, another incarnation's file, damage, and removal when empty. */
class StaleExtentsFileTest {
    private static final int EXTENT = 2 << 20;
    private static final long UID = 0x8000_0000_0000_0001L; // above Long.MAX_VALUE unsigned

    @TempDir
    Path dir;

    private static BitSet bits(int... extents) {
        BitSet set = new BitSet();
        for (int e : extents) {
            set.set(e);
        }
        return set;
    }

    @Test
    void storedExtentsLoadBackAsRanges() throws IOException {
        StaleExtentsFile file = new StaleExtentsFile(dir.resolve("state"), "r0");
        BitSet stale = bits(0, 3, 4, 5, 9, 47);
        file.store(UID, EXTENT, stale);
        assertEquals("hast-stale 1\nresuid " + Long.toUnsignedString(UID) + "\nextentsize 2097152\n"
                + "extents 0 3-5 9 47\n", Files.readString(file.path()));
        StaleExtentsFile.Loaded loaded = file.load(UID, EXTENT, 48);
        assertEquals(stale, loaded.extents());
        assertNull(loaded.ignoredWhy());
        assertFalse(Files.exists(dir.resolve("state/r0.stale.new")), "no temporary file left");
    }

    @Test
    void noFileMeansNothingStaleAndAnEmptySetRemovesIt() throws IOException {
        StaleExtentsFile file = new StaleExtentsFile(dir, "r0");
        assertTrue(file.load(UID, EXTENT, 48).extents().isEmpty());
        file.store(UID, EXTENT, bits(2));
        file.store(UID, EXTENT, new BitSet());
        assertFalse(Files.exists(file.path()));
    }

    @Test
    void aFileOfAnotherResourceUidIsIgnoredAndRemoved() throws IOException {
        StaleExtentsFile file = new StaleExtentsFile(dir, "r0");
        file.store(UID, EXTENT, bits(2));
        StaleExtentsFile.Loaded loaded = file.load(7, EXTENT, 48);
        assertTrue(loaded.extents().isEmpty());
        assertTrue(loaded.ignoredWhy().contains("resource UID"), loaded.ignoredWhy());
        assertFalse(Files.exists(file.path()));
    }

    @Test
    void aDamagedFileIsAnErrorNotAnEmptySet() throws IOException {
        StaleExtentsFile file = new StaleExtentsFile(dir, "r0");
        for (String text : new String[] {"", "hast-stale 1\nresuid 1\n", "hast-stale 1\nresuid x\nextentsize 1\nextents\n",
                "hast-stale 1\nresuid 1\nextentsize 2097152\nextents 3-1\n",
                "hast-stale 1\nresuid 1\nextentsize 2097152\nextents 48\n",
                "hast-stale 1\nresuid 1\nextentsize 1048576\nextents 1\n"}) {
            Files.writeString(file.path(), text);
            IOException e = assertThrows(IOException.class, () -> file.load(1, EXTENT, 48), text);
            assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
        }
    }

    @Test
    void aSlashInTheResourceNameStaysInTheStateDirectory() throws IOException {
        StaleExtentsFile file = new StaleExtentsFile(dir, "a/b");
        assertEquals(dir.resolve("a%2Fb.stale"), file.path());
        file.store(UID, EXTENT, bits(1));
        assertEquals(bits(1), file.load(UID, EXTENT, 48).extents());
    }
}
