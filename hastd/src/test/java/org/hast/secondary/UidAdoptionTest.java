package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.hast.local.LocalComponent;
import org.hast.local.StaleExtentsFile;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.proto.SyncDecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh secondary's first handshake that fails after the UID was adopted must still lead to a
 * full synchronisation at the next one: before, the next handshake found the UID on disk, sent
 * the empty on-disk map and the primary reported the nodes in sync (FaultIT's
 * secondaryCrashDuringFullSync under load).
 */
class UidAdoptionTest {
    private static final long DISK_BYTES = 64L << 20;
    private static final long UID = 0x1234_5678_9abcL;

    @TempDir
    Path dir;

    private Metadata createdDisk(Path disk) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(DISK_BYTES);
        }
        DiskLayout layout = DiskLayout.forCreate(disk.toString(), DISK_BYTES, 512, null, null, null);
        Metadata created = Metadata.created("r0", layout);
        try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            channel.write(MetadataCodec.encode(created), 0);
        }
        return created;
    }

    @Test
    void aFullSyncAskedForAtAdoptionIsStillAskedForAfterTheHandshakeFailed() throws Exception {
        Path disk = dir.resolve("disk");
        Metadata created = createdDisk(disk);
        StaleExtentsFile stale = new StaleExtentsFile(dir.resolve("state"), "r0");
        // The primary has written data (not virgin): adopt its UID and ask for everything.
        SyncDecision first = SyncDecision.decide(0, 0, 0, UID, 3, 0, false);
        assertEquals(SyncDecision.Kind.ADOPT_UID, first.kind());
        assertEquals(SyncDecision.Bitmap.ALL_ONES, first.bitmap());
        try (LocalComponent local = LocalComponent.open(disk)) {
            UidAdoption.adopt(local, created, UID, true, stale);
        }
        // The handshake fails here; the next one starts from what is on disk.
        Metadata onDisk;
        try (LocalComponent local = LocalComponent.open(disk)) {
            onDisk = local.readMetadata("r0");
        }
        assertEquals(UID, onDisk.resUid());
        SyncDecision second = SyncDecision.decide(onDisk.resUid(), onDisk.localCnt(), onDisk.remoteCnt(), UID, 3, 0,
                false);
        assertNotEquals(SyncDecision.Kind.ADOPT_UID, second.kind());
        assertEquals(SyncDecision.Bitmap.ON_DISK, second.bitmap(), "the map now comes from disk, where it is empty");
        int extents = (int) ((onDisk.dataSize() + onDisk.extentSize() - 1) / onDisk.extentSize());
        StaleExtentsFile.Loaded loaded = stale.load(onDisk.resUid(), onDisk.extentSize(), extents);
        assertEquals(extents, loaded.extents().cardinality(), "every extent must still be sent as dirty");
    }

    @Test
    void aVirginPairAdoptsWithoutRecordingAnything() throws Exception {
        Path disk = dir.resolve("disk");
        Metadata created = createdDisk(disk);
        StaleExtentsFile stale = new StaleExtentsFile(dir.resolve("state"), "r0");
        Metadata adopted;
        try (LocalComponent local = LocalComponent.open(disk)) {
            adopted = UidAdoption.adopt(local, created, UID, false, stale);
        }
        assertEquals(UID, adopted.resUid());
        assertFalse(Files.exists(stale.path()), "nothing to synchronise between two fresh nodes");
        try (LocalComponent local = LocalComponent.open(disk)) {
            assertTrue(local.readMetadata("r0").resUid() == UID);
        }
    }
}
