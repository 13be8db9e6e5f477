package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.block.BlockBackend;
import org.hast.conf.LocalIoMode;
import org.hast.local.LocalComponent;
import org.hast.local.WriteBackStarts;
import org.hast.proto.HioCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * While the client flushes after every few writes, a {@code local-N} thread starts writing each
 * write's pages to the device once the write is answered, so that the FLUSH's {@code fdatasync}
 * finds them written; other writes are left to the kernel. One thread, so a request's completion
 * comes after everything the thread did for the requests before it.
 */
class LocalIoWriteBackTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private LocalComponent local;
    private WriteBackStarts provider;
    private LocalIo io;

    @BeforeEach
    void component() throws Exception {
        Path file = dir.resolve("disk.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + (1 << 20));
        }
        local = LocalComponent.open(file, LocalIoMode.BUFFERED, inner -> provider = new WriteBackStarts(inner));
        io = new LocalIo(local, LOCAL_OFFSET, 1, 8, hio -> ((Request) hio.piece).done.complete(hio.localError));
    }

    @AfterEach
    void close() {
        if (io != null) {
            io.close();
        }
        if (local != null) {
            local.close();
        }
    }

    @Test
    void aWriteBetweenFlushesIsWrittenBackOnceAnswered() throws Exception {
        run(HioCommand.WRITE, 0);
        run(HioCommand.FLUSH, 0);
        assertEquals(List.of(), provider.started(), "no cadence before the first FLUSH");
        run(HioCommand.WRITE, 5 * BLOCK);
        assertEquals(List.of(new WriteBackStarts.Range(LOCAL_OFFSET + 5 * BLOCK, BLOCK)), provider.awaitStarted(1));
    }

    @Test
    void writesWithoutAFlushCadenceAreLeftToTheKernel() throws Exception {
        for (int i = 0; i < 9; i++) {
            run(HioCommand.WRITE, (long) i * BLOCK);
        }
        run(HioCommand.FLUSH, 0);
        run(HioCommand.WRITE, 0);
        run(HioCommand.FLUSH, 0);
        assertEquals(List.of(), provider.started());
    }

    /** Submits one request and waits for its completion, which must succeed. */
    private void run(HioCommand cmd, long offset) throws Exception {
        ByteBuf data = cmd == HioCommand.WRITE ? PooledByteBufAllocator.DEFAULT.directBuffer(BLOCK).writeZero(BLOCK)
                : null;
        Request request = new Request();
        try {
            Hio hio = new Hio(cmd, offset, cmd == HioCommand.WRITE ? BLOCK : 0, data, request);
            io.submit(hio);
            assertEquals(0, request.done.get(10, TimeUnit.SECONDS), cmd + " at " + offset);
        } finally {
            if (data != null) {
                data.release();
            }
        }
    }

    /** The client's completion, which the test's done callback finds through the Hio. */
    private static final class Request implements BlockBackend.Completion {
        final CompletableFuture<Integer> done = new CompletableFuture<>();

        @Override
        public void done(int errno) {
            // LocalIo reports to its own callback; the pipeline, absent here, would call this.
        }
    }
}
