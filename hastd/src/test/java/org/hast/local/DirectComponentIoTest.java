package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.hast.conf.LocalIoMode;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code localio direct}: the data descriptor is {@code O_DIRECT}, and every request reads and
 * writes the right bytes whatever its alignment: aligned buffers directly, unaligned buffers
 * through the bounce buffer, unaligned offsets or lengths through the page cache, coherently
 * with the direct descriptor. Runs in the module's {@code target/} (tmpfs, where /tmp often is,
 * has no {@code O_DIRECT}).
 */
class DirectComponentIoTest {
    private static final int O_DIRECT = 040000;
    private static final int SIZE = 1 << 20;

    private Path dir;
    private Path file;

    @BeforeEach
    void createFile() throws IOException {
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "direct-io");
        file = dir.resolve("disk.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(SIZE);
        }
    }

    @AfterEach
    void removeFile() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private LocalComponent openDirect() throws IOException {
        try {
            return LocalComponent.open(file, LocalIoMode.DIRECT, UnaryOperator.identity());
        } catch (IOException e) {
            Requirements.require(!String.valueOf(e.getMessage()).contains("Invalid argument"),
                    "the file system of target/ has no O_DIRECT: " + e.getMessage());
            throw e;
        }
    }

    @Test
    void dataDescriptorIsOdirect() throws Exception {
        try (LocalComponent local = openDirect()) {
            List<Integer> flags = new ArrayList<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        if (Files.readSymbolicLink(fd).equals(file)) {
                            flags.add(fdinfoFlags(fd.getFileName().toString()));
                        }
                    } catch (IOException gone) {
                        // a descriptor closed meanwhile
                    }
                }
            }
            assertTrue(flags.stream().anyMatch(f -> (f & O_DIRECT) != 0 && (f & 3) == 2),
                    "no read-write O_DIRECT descriptor among " + flags);
        }
    }

    @Test
    void everyAlignmentReadsBackWhatWasWritten() throws Exception {
        byte[] expected = new byte[SIZE];
        Random random = new Random(15);
        try (LocalComponent local = openDirect()) {
            // offset, length, buffer misalignment: aligned; unaligned buffer; 512-byte sectors.
            int[][] requests = {{8192, 8192, 0}, {65536, 16384, 16}, {4096 + 512, 1024, 0}, {131072, 4096, 3},
                {4096, 4096, 0}, {4096 + 1024, 512, 7}};
            for (int[] r : requests) {
                byte[] bytes = new byte[r[1]];
                random.nextBytes(bytes);
                ByteBuffer source = ByteBuffer.allocateDirect(r[1] + 8192).alignedSlice(4096);
                source.position(r[2]).limit(r[2] + r[1]);
                source.slice().put(bytes);
                local.writeFully(source, r[0]);
                assertEquals(r[2] + r[1], source.position(), "whole request consumed");
                System.arraycopy(bytes, 0, expected, r[0], r[1]);
            }
            for (int[] r : requests) {
                ByteBuffer target = ByteBuffer.allocateDirect(r[1] + 8192).alignedSlice(4096);
                target.position(r[2]).limit(r[2] + r[1]);
                local.readFully(target, r[0]);
                byte[] back = new byte[r[1]];
                target.position(r[2]);
                target.get(back);
                byte[] want = new byte[r[1]];
                System.arraycopy(expected, r[0], want, 0, r[1]);
                assertArrayEquals(want, back, "read of " + r[1] + " bytes at " + r[0]);
            }
            // A direct read over sectors just written through the cache sees them.
            ByteBuffer page = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
            page.limit(4096);
            local.readFully(page, 4096);
            byte[] back = new byte[4096];
            page.flip().get(back);
            byte[] want = new byte[4096];
            System.arraycopy(expected, 4096, want, 0, 4096);
            assertArrayEquals(want, back, "the page mixed from cached and direct writes");
            assertTrue(local.flush());
        }
        assertArrayEquals(expected, Files.readAllBytes(file), "the file after close");
    }

    /**
     * Heap buffers (the metadata area is read into one) work, and leave the thread's other I/O
     * working: the JDK's own aligned temporary buffer, once cached, broke the next heap-buffer
     * read of any channel on that thread.
     */
    @Test
    void heapBuffersLeaveTheThreadsOtherIoWorking() throws Exception {
        byte[] bytes = new byte[8192];
        new Random(7).nextBytes(bytes);
        try (LocalComponent local = openDirect()) {
            local.writeFully(ByteBuffer.wrap(bytes), 8192);
            ByteBuffer back = ByteBuffer.allocate(8192);
            local.readFully(back, 8192);
            assertArrayEquals(bytes, back.array());
        }
        try (var channel = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer larger = ByteBuffer.allocate(65536);
            channel.read(larger, 0);
            assertEquals(bytes[0], larger.get(8192));
        }
    }

    private static int fdinfoFlags(String fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        throw new IOException("no flags in fdinfo of " + fd);
    }
}
