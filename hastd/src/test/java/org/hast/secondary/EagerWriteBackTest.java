package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.hast.codec.PayloadCodec;
import org.hast.conf.LocalIoMode;
import org.hast.link.HastFrameEncoder;
import org.hast.local.LocalComponent;
import org.hast.local.WriteBackStarts;
import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * While the primary sends a FLUSH after every few writes, the secondary starts writing each
 * write's pages to the device once the write is answered, so that the FLUSH's {@code fdatasync}
 * finds them written; writes without that cadence are left to the kernel.
 */
class EagerWriteBackTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private LocalComponent local;
    private WriteBackStarts provider;
    private SecondaryDisk disk;
    private final EmbeddedChannel out = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
    private final PayloadCodec codec = new PayloadCodec();
    private final PayloadViews views = new PayloadViews();
    private long seq;

    @BeforeEach
    void component() throws Exception {
        Path file = dir.resolve("disk.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + (1 << 20));
        }
        local = LocalComponent.open(file, LocalIoMode.BUFFERED, io -> provider = new WriteBackStarts(io));
        disk = new SecondaryDisk(new DiskQueue(), local, LOCAL_OFFSET, PayloadCodec::new, new WorkerStats(), out, 2,
                128 * 1024, () -> { });
    }

    @AfterEach
    void close() {
        out.runPendingTasks();
        out.finishAndReleaseAll();
        if (local != null) {
            local.close();
        }
    }

    @Test
    void aWriteBetweenFlushesIsWrittenBackOnceAnswered() throws Exception {
        write(0);
        flush();
        assertEquals(List.of(), provider.started(), "no cadence before the first FLUSH");
        write(3 * BLOCK);
        assertEquals(List.of(new WriteBackStarts.Range(LOCAL_OFFSET + 3 * BLOCK, BLOCK)), provider.started());
        ByteBuffer back = ByteBuffer.allocate(BLOCK);
        local.readFully(back, LOCAL_OFFSET + 3 * BLOCK);
        assertEquals('w', back.get(0), "the data itself is written as before");
    }

    @Test
    void writesWithoutAFlushCadenceAreLeftToTheKernel() throws Exception {
        for (int i = 0; i < 9; i++) {
            write((long) i * BLOCK);
        }
        flush();
        write(0);
        flush();
        assertEquals(List.of(), provider.started());
    }

    private void write(long offset) {
        byte[] data = new byte[BLOCK];
        Arrays.fill(data, (byte) 'w');
        apply(new SecondaryRequest(RequestHeader.write(++seq, offset, BLOCK, false),
                new PayloadFields(null, null, null, BLOCK), Unpooled.directBuffer(BLOCK).writeBytes(data), 0));
    }

    private void flush() {
        apply(new SecondaryRequest(RequestHeader.flush(++seq), null, null, 0));
    }

    /** As a disk thread applies a request: on this thread, then released. */
    private void apply(SecondaryRequest request) {
        try {
            disk.apply(request, codec, ByteBuffer.allocateDirect(BLOCK), views);
        } finally {
            request.release();
        }
    }
}
