package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrameEncoder;
import org.hast.proto.FrameHeader;
import org.hast.nv.NvMessage;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The secondary answers a DELETE its disk cannot do with the errno itself, in FreeBSD's
 * numbering: EOPNOTSUPP is 45 on the wire (Linux says 95), and the primary reads it back as
 * its own EOPNOTSUPP. The component lives on ramfs, which cannot punch holes, so the errno is
 * the kernel's, not a stand-in.
 */
class SecondaryDiskErrnoTest {
    private static final long LOCAL_OFFSET = 8192;

    @TempDir
    Path dir;

    @Test
    void unsupportedDeleteRepliesFreeBsdEopnotsupp() throws Exception {
        Requirements.requireRoot();
        Path mount = Files.createDirectory(dir.resolve("ramfs"));
        Processes.Result mounted = Processes.run(List.of("mount", "-t", "ramfs", "hast-test", mount.toString()),
                Map.of(), Duration.ofSeconds(30));
        Requirements.require(mounted.exitCode() == 0, "cannot mount ramfs: " + mounted.stderr().strip());
        try {
            Path file = mount.resolve("disk");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(LOCAL_OFFSET + (1 << 20));
            }
            EmbeddedChannel out = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
            try (LocalComponent local = LocalComponent.open(file)) {
                SecondaryDisk disk = new SecondaryDisk(new DiskQueue(), local, LOCAL_OFFSET, PayloadCodec::new,
                        new WorkerStats(),
                        out, 2, 128 * 1024, () -> { });
                disk.apply(new SecondaryRequest(RequestHeader.delete(7, 0, 65536), null, null, 0), new PayloadCodec(), null,
                        new PayloadViews());
            }
            out.runPendingTasks(); // replies reach the channel through its event loop
            ByteBuf reply = out.readOutbound(); // version, nv size, nv: the frame as it goes on the wire
            NvMessage wire = NvMessage.decode(reply.nioBuffer(FrameHeader.HEADER_SIZE,
                    (int) reply.getUnsignedIntLE(1)));
            reply.release();
            assertEquals(7L, wire.getUint64("seq"));
            assertEquals(45, wire.getInt16("error"), "FreeBSD's EOPNOTSUPP on the wire: " + wire.dump());
            assertEquals(95, ReplyHeader.fromNv(wire).error(), "read back as Linux's EOPNOTSUPP");
            out.finishAndReleaseAll();
        } finally {
            Processes.Result unmounted = Processes.run(List.of("umount", mount.toString()), Map.of(),
                    Duration.ofSeconds(30));
            assertEquals(0, unmounted.exitCode(), unmounted.toString());
        }
    }
}
