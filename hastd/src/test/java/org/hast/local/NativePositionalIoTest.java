package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import org.hast.platform.FileFlags;
import org.hast.platform.host.HostPlatform;
import org.hast.sys.ErrnoException;
import org.hast.sys.LibC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.util.internal.PlatformDependent;

/**
 * The local component's native {@code pread}/{@code pwrite} behave as the {@code FileChannel}
 * calls they replace: the bytes land at the position from the buffer's position on, the buffer
 * advances by what was transferred, a read at the end gives -1, a failure carries the same
 * message, and a closed one refuses to touch its descriptor again.
 */
class NativePositionalIoTest {
    @TempDir
    Path dir;
    private Path file;
    private int fd = -1;

    @BeforeEach
    void openFile() throws IOException {
        assumeTrue(NativePositionalIo.ENABLED, "no direct buffer addresses on this JVM");
        file = dir.resolve("disk.img");
        Files.write(file, new byte[64 * 1024]);
        fd = open(file.toString());
    }

    @AfterEach
    void closeFile() {
        if (fd >= 0) {
            LibC.get().close(fd);
        }
    }

    private static int open(String path) throws IOException {
        FileFlags flags = HostPlatform.current().files();
        int opened = LibC.get().open(path, flags.rdwr() | flags.cloexec());
        if (opened < 0) {
            throw new IOException("open " + path + ": " + LibC.get().strerror(LibC.errno()));
        }
        return opened;
    }

    @Test
    void writesFromTheBufferPositionAndReadsBackWhatTheChannelSees() throws IOException {
        NativePositionalIo io = new NativePositionalIo(fd);
        byte[] bytes = new byte[5000];
        new Random(15).nextBytes(bytes);
        ByteBuffer source = ByteBuffer.allocateDirect(bytes.length + 100);
        source.position(100);
        source.put(bytes).position(100);

        assertEquals(bytes.length, io.write(source, 12345));
        assertEquals(source.limit(), source.position(), "the buffer advanced by what was written");

        ByteBuffer seen = ByteBuffer.allocate(bytes.length);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.read(seen, 12345);
        }
        assertArrayEquals(bytes, seen.array());

        ByteBuffer target = ByteBuffer.allocateDirect(bytes.length + 7);
        target.position(7);
        assertEquals(bytes.length, io.read(target, 12345));
        assertEquals(target.limit(), target.position());
        byte[] back = new byte[bytes.length];
        target.position(7);
        target.get(back);
        assertArrayEquals(bytes, back);
    }

    @Test
    void aReadPastTheEndGivesMinusOneAndAPartialOneWhatIsThere() throws IOException {
        NativePositionalIo io = new NativePositionalIo(fd);
        assertEquals(-1, io.read(ByteBuffer.allocateDirect(512), 64 * 1024));
        ByteBuffer tail = ByteBuffer.allocateDirect(4096);
        assertEquals(1024, io.read(tail, 63 * 1024), "a short read, as the channel's");
        assertEquals(1024, tail.position());
    }

    @Test
    void aFailedWriteCarriesTheChannelsMessageAndItsErrno() throws IOException {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "no /dev/full");
        int fullFd = open(full.toString());
        try {
            ByteBuffer source = ByteBuffer.allocateDirect(4096);
            ErrnoException failed = assertThrows(ErrnoException.class,
                    () -> new NativePositionalIo(fullFd).write(source, 0));
            IOException channelFailure;
            try (FileChannel channel = FileChannel.open(full, StandardOpenOption.WRITE)) {
                channelFailure = assertThrows(IOException.class, () -> channel.write(source.duplicate(), 0));
            }
            assertEquals(channelFailure.getMessage(), failed.getMessage());
            assertEquals(28, HostPlatform.current().fromNativeErrno(failed.errno()), "ENOSPC");
            assertEquals(0, source.position(), "nothing written, the buffer did not advance");
        } finally {
            LibC.get().close(fullFd);
        }
    }

    /**
     * A read that cannot wait: the bytes just written are cached, so it reads them all; past
     * the end (a short read) and once closed it says no. (Whether an uncached range says no depends on how fast the device serves the
     * readahead it starts; LocalIoInlineReadTest covers what the caller does then.)
     */
    @Test
    void aReadThatCannotWaitReadsCachedBytesOrNothing() throws IOException {
        assumeTrue(NativePositionalIo.INLINE_READS, "RWF_NOWAIT reads are Linux's");
        NativePositionalIo io = new NativePositionalIo(fd);
        byte[] bytes = new byte[4096];
        new Random(16).nextBytes(bytes);
        assertEquals(bytes.length, io.write(ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), 8192));

        ByteBuffer target = ByteBuffer.allocateDirect(bytes.length + 3);
        long address = PlatformDependent.directBufferAddress(target);
        assertTrue(io.readIfCached(address + 3, bytes.length, 8192));
        byte[] back = new byte[bytes.length];
        target.position(3);
        target.get(back);
        assertArrayEquals(bytes, back);

        assertFalse(io.readIfCached(address, 4096, 63 * 1024), "only 1 KiB is there");
        io.close();
        assertFalse(io.readIfCached(address, 4096, 0));
    }

    @Test
    void aClosedOneNeverTouchesItsDescriptorAgain() throws IOException {
        NativePositionalIo io = new NativePositionalIo(fd);
        io.close();
        ByteBuffer source = ByteBuffer.allocateDirect(16).put(new byte[] {1, 2, 3}).clear();
        assertThrows(ClosedChannelException.class, () -> io.write(source, 0));
        assertThrows(ClosedChannelException.class, () -> io.read(ByteBuffer.allocateDirect(16), 0));
        assertEquals(0, Files.readAllBytes(file)[0]);
        // nor lets another call on it (the eager write-back's sync_file_range) go ahead
        assertEquals(0, io.enterIfOpen());
    }

    @Test
    void aCallOnTheDescriptorHoldsOffItsClose() throws Exception {
        NativePositionalIo io = new NativePositionalIo(fd);
        long stamp = io.enterIfOpen();
        assertNotEquals(0, stamp);
        Thread closer = new Thread(io::close);
        closer.start();
        closer.join(200);
        assertTrue(closer.isAlive(), "closed while a call on the descriptor was under way");
        io.exit(stamp);
        closer.join();
        assertEquals(0, io.enterIfOpen());
    }

    @Test
    void theComponentWritesDirectBuffersThisWayAndHeapBuffersThroughTheChannel() throws IOException {
        try (LocalComponentCloser component = new LocalComponentCloser(LocalComponent.open(file))) {
            ByteBuffer direct = ByteBuffer.allocateDirect(4096);
            ByteBuffer heap = ByteBuffer.allocate(4096);
            for (int i = 0; i < 4096; i++) {
                direct.put((byte) i);
                heap.put((byte) (255 - i));
            }
            component.local().writeFully(direct.flip(), 8192);
            component.local().writeFully(heap.flip(), 16384);
            byte[] disk = Files.readAllBytes(file);
            for (int i = 0; i < 4096; i++) {
                assertEquals((byte) i, disk[8192 + i]);
                assertEquals((byte) (255 - i), disk[16384 + i]);
            }
            ByteBuffer back = ByteBuffer.allocateDirect(4096);
            component.local().readFully(back, 8192);
            assertTrue(back.flip().equals(direct.flip()));
        }
    }

    private record LocalComponentCloser(LocalComponent local) implements AutoCloseable {
        @Override
        public void close() {
            local.close();
        }
    }
}
