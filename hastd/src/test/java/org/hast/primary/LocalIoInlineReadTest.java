package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.hast.conf.LocalIoMode;
import org.hast.local.ComponentIo;
import org.hast.local.ForwardingComponentIo;
import org.hast.local.LocalComponent;
import org.hast.proto.HioCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Small READs whose pages are cached are served on the submitting thread, without the hand-off
 * to a {@code local-N} thread (issue #15); anything that could wait for the device still goes
 * through the queue.
 */
class LocalIoInlineReadTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final int WRITTEN = 1 << 20;
    private static final long UNCACHED = 16L << 20;

    @TempDir
    Path dir;
    private LocalComponent local;
    private final byte[] data = new byte[WRITTEN];

    @BeforeEach
    void component() throws IOException {
        assumeTrue("Linux".equals(System.getProperty("os.name")), "RWF_NOWAIT is Linux's");
        Path file = dir.resolve("disk.img");
        new Random(15).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), LOCAL_OFFSET);
            ch.write(ByteBuffer.allocate(1), (64L << 20) - 1);   // the rest is a hole
        }
        local = LocalComponent.open(file, LocalIoMode.BUFFERED, UncachedRange::new);
    }

    @AfterEach
    void close() {
        if (local != null) {
            local.close();
        }
    }

    @Test
    void aCachedReadCompletesOnTheSubmittingThread() throws Exception {
        Read read = new Read(12288, 4096);
        try (LocalIo io = new LocalIo(local, LOCAL_OFFSET, 2, 8, read::done)) {
            io.submit(read.hio);
            assertEquals(0, read.error());
            assertSame(Thread.currentThread(), read.thread);
            read.assertBytes();
        } finally {
            read.release();
        }
    }

    @Test
    void anUncachedOrLargeReadGoesToALocalThread() throws Exception {
        Read hole = new Read(UNCACHED, 4096);
        Read large = new Read(0, LocalIo.INLINE_READ_MAX + 4096);
        try (LocalIo io = new LocalIo(local, LOCAL_OFFSET, 2, 8, h -> (h == hole.hio ? hole : large).done(h))) {
            io.submit(hole.hio);
            io.submit(large.hio);
            assertEquals(0, hole.error());
            assertEquals(0, large.error());
            assertTrue(hole.thread.getName().startsWith("local-"), hole.thread.getName());
            assertTrue(large.thread.getName().startsWith("local-"), large.thread.getName());
            large.assertBytes();
            hole.assertBytes();
        } finally {
            hole.release();
            large.release();
        }
    }

    /** Synchronisation and verify steps keep their threading, cached or not. */
    @Test
    void aSynchronisationReadGoesToALocalThread() throws Exception {
        Read read = new Read(12288, 4096);
        read.hio.sync = true;
        try (LocalIo io = new LocalIo(local, LOCAL_OFFSET, 2, 8, read::done)) {
            io.submit(read.hio);
            assertEquals(0, read.error());
            assertTrue(read.thread.getName().startsWith("local-"), read.thread.getName());
            read.assertBytes();
        } finally {
            read.release();
        }
    }

    /** A completion that submits the next read (a reply freeing a slot for a waiting request). */
    @Test
    void aReadSubmittedFromAnInlineCompletionIsQueued() throws Exception {
        Read second = new Read(8192, 4096);
        Read first = new Read(0, 4096);
        LocalIo[] io = new LocalIo[1];
        Consumer<Hio> done = h -> {
            if (h == first.hio) {
                first.done(h);
                io[0].submit(second.hio);
            } else {
                second.done(h);
            }
        };
        try (LocalIo opened = new LocalIo(local, LOCAL_OFFSET, 2, 8, done)) {
            io[0] = opened;
            opened.submit(first.hio);
            assertEquals(0, first.error());
            assertEquals(0, second.error());
            assertSame(Thread.currentThread(), first.thread);
            assertNotSame(Thread.currentThread(), second.thread);
            second.assertBytes();
        } finally {
            first.release();
            second.release();
        }
    }

    private final class Read {
        final long offset;
        final int length;
        final ByteBuf buffer;
        final Hio hio;
        final CompletableFuture<Integer> error = new CompletableFuture<>();
        volatile Thread thread;

        Read(long offset, int length) {
            this.offset = offset;
            this.length = length;
            buffer = PooledByteBufAllocator.DEFAULT.directBuffer(length);
            hio = new Hio(HioCommand.READ, offset, length, buffer, errno -> { });
        }

        void done(Hio h) {
            thread = Thread.currentThread();
            error.complete(h.localError);
        }

        int error() throws Exception {
            return error.get(10, TimeUnit.SECONDS);
        }

        void assertBytes() {
            byte[] got = new byte[length];
            buffer.getBytes(0, got);
            byte[] want = new byte[length];
            if (offset < WRITTEN) {
                System.arraycopy(data, (int) offset, want, 0, Math.min(length, WRITTEN - (int) offset));
            }
            assertArrayEquals(want, got);
        }

        void release() {
            buffer.release();
        }
    }

    /**
     * The provider as it is, but for a range whose pages are never found cached: the page
     * cache of a real file cannot be emptied here reliably (a fast device completes the
     * readahead an RWF_NOWAIT read starts before that read looks again).
     */
    private static final class UncachedRange extends ForwardingComponentIo {
        UncachedRange(ComponentIo inner) {
            super(inner);
        }

        @Override
        public boolean readIfCached(long address, int length, long position) {
            return position < LOCAL_OFFSET + UNCACHED && inner.readIfCached(address, length, position);
        }
    }
}
