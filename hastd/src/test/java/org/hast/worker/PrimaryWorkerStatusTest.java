package org.hast.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A primary worker (no secondary: every write is acknowledged during an outage) whose metadata
 * write hangs, as an fsync on a failing disk does: the write waiting for it is not answered,
 * and status is, because nothing status needs is held across that write.
 */
class PrimaryWorkerStatusTest {
    private static final long DISK_BYTES = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void statusAnswersWhileTheOutageCounterWriteHangs() throws Exception {
        Path disk = dir.resolve("disk");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(DISK_BYTES);
        }
        DiskLayout layout = DiskLayout.forCreate(disk.toString(), DISK_BYTES, 512, null, null, null);
        try (FileChannel channel = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            channel.write(MetadataCodec.encode(Metadata.created("r0", layout)), 0);
        }
        ResourceConfig config = ConfigParser.parse("device none\nresource r0 {\n on n {\n  local " + disk
                + "\n  remote none\n }\n}\n", "hast.conf", NodeIdentity.named("n")).resource("r0").orElseThrow();

        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PrimaryWorker worker = new PrimaryWorker(config, dir.resolve("dev"), dir.resolve("state"), event -> { },
                local -> changed -> {
            writing.countDown();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("never released");
                }
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            local.writeMetadata(changed, true);
        });
        worker.start();
        try {
            CompletableFuture<Integer> ack = new CompletableFuture<>();
            ByteBuf data = Unpooled.directBuffer(4096).writeZero(4096);
            worker.pipeline().write(0, data, false, ack::complete);
            assertTrue(writing.await(10, TimeUnit.SECONDS), "the outage counter was never written");

            CompletableFuture<NvWriter> status = CompletableFuture.supplyAsync(() -> {
                NvWriter reply = new NvWriter();
                worker.status(reply);
                return reply;
            });
            NvMessage answered;
            boolean ackedEarly;
            try {
                answered = NvMessage.decode(status.get(10, TimeUnit.SECONDS).encode());
                ackedEarly = ack.isDone();
            } finally {
                release.countDown();
            }
            assertFalse(ackedEarly, "a write was acknowledged before its outage counter was on disk");
            assertEquals("degraded", answered.getString("status"));
            assertEquals(layout.extentSize(), answered.getUint32("extentsize"));
            assertEquals(1, answered.getUint64("stat_write"));

            assertEquals(0, ack.get(10, TimeUnit.SECONDS), "the write is acknowledged once its counter is on disk");
            data.release();
            assertEquals(1, worker.localCnt(), "the outage's first write bumped localcnt");
        } finally {
            release.countDown();
            worker.close();
        }
    }
}
