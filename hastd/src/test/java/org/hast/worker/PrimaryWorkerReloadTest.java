package org.hast.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.hast.conf.ConfigParser;
import org.hast.conf.NodeIdentity;
import org.hast.conf.ResourceConfig;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP on a running primary worker (docs/integrity.md): {@code syncmode} and {@code syncrate}
 * take effect without a restart, as the worker's status shows (the pacers of the sync and verify
 * threads are set from the same settings).
 */
class PrimaryWorkerReloadTest {
    private static final long DISK_BYTES = 16L << 20;

    @TempDir
    Path dir;

    private ResourceConfig config(Path disk, String integrity) throws Exception {
        return ConfigParser.parse("device none\nresource r0 {\n " + integrity + "\n on n {\n  local " + disk
                + "\n  remote none\n }\n}\n", "hast.conf", NodeIdentity.named("n")).resource("r0").orElseThrow();
    }

    private static NvMessage status(PrimaryWorker worker) throws Exception {
        NvWriter reply = new NvWriter();
        worker.status(reply);
        return NvMessage.decode(reply.encode());
    }

    @Test
    void syncmodeAndSyncrateReachTheRunningWorker() throws Exception {
        Path disk = dir.resolve("disk");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(DISK_BYTES);
        }
        DiskLayout layout = DiskLayout.forCreate(disk.toString(), DISK_BYTES, 512, null, null, null);
        try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            channel.write(MetadataCodec.encode(Metadata.created("r0", layout)), 0);
        }
        PrimaryWorker worker = new PrimaryWorker(config(disk, ""), dir.resolve("dev"), dir.resolve("state"),
                event -> { });
        worker.start();
        try {
            NvMessage before = status(worker);
            assertEquals("plain", before.getString("syncmode"));
            assertEquals(0, before.getUint64("syncrate"));

            worker.reload(config(disk, "syncmode checksum\n syncrate 16m"));
            NvMessage fixed = status(worker);
            assertEquals("checksum", fixed.getString("syncmode"));
            assertEquals(16L << 20, fixed.getUint64("syncrate"));
            assertFalse(fixed.has("syncrate_latency_us"));

            worker.reload(config(disk, "syncrate adaptive 20"));
            NvMessage adaptive = status(worker);
            assertEquals("plain", adaptive.getString("syncmode"));
            assertEquals(64L << 20, adaptive.getUint64("syncrate"), "a new adaptive controller starts at 64 MiB/s");
            assertTrue(adaptive.has("syncrate_latency_us"));

            worker.reload(config(disk, "syncrate unlimited"));
            assertEquals(0, status(worker).getUint64("syncrate"));
        } finally {
            worker.close();
        }
    }
}
