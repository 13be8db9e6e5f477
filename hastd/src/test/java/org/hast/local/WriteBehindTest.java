package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.hast.conf.LocalIoMode;
import org.hast.sys.LibC;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Variadic;

/**
 * A buffered file component does not let its written data pile up in the page cache: every
 * {@link WriteBehind#DEFAULT_THRESHOLD_BYTES} written, the write-back of the file starts, so
 * the file's dirty pages stay below about that much (Linux's {@code cachestat(2)}, 6.5 and
 * later, counts them). Without it 64 MiB stay dirty for {@code vm.dirty_expire_centisecs}
 * (30 s) on a machine with gigabytes of memory, and the next FLUSH writes them all. Runs in the
 * module's {@code target/}: tmpfs, where /tmp often is, never writes anything back. About 1 s.
 */
class WriteBehindTest {
    private static final long WRITTEN = 64L << 20;
    private static final int CHUNK = 1 << 20;
    private static final int PAGE = 4096;
    private static final int SYS_CACHESTAT = 451;

    /** {@code syscall(2)}: cachestat has no libc wrapper. */
    public interface Syscall {
        @Variadic(fixedCount = 1)
        long syscall(long number, int fd, Pointer range, Pointer stat, int flags);
    }

    private Path dir;
    private Path file;

    @BeforeEach
    void createFile() throws IOException {
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "write-behind");
        file = dir.resolve("disk.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(WRITTEN);
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

    @Test
    void writtenDataIsOnItsWayToTheDiskNotLeftDirty() throws Exception {
        long dirty = dirtyPages();
        Requirements.require(dirty >= 0, "cachestat(2) is not available (Linux 6.5 or later): " + -dirty);
        // Written as fast as the test can: any rate may be written back early here.
        System.setProperty(WriteBehind.RATE_PROPERTY, "0");
        try (LocalComponent local = LocalComponent.open(file, LocalIoMode.BUFFERED, UnaryOperator.identity())) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
            byte[] random = new byte[CHUNK];
            for (long at = 0; at < WRITTEN; at += CHUNK) {
                ThreadLocalRandom.current().nextBytes(random);
                chunk.clear();
                chunk.put(random).flip();
                local.writeFully(chunk, at);
            }
            // The write-backs run on their own thread: wait (not a timing assertion) until the
            // dirty pages have left, or give up after 10 s and report how many stayed.
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                dirty = dirtyPages();
            } while (dirty * PAGE > WriteBehind.DEFAULT_THRESHOLD_BYTES && System.nanoTime() < deadline
                    && sleep());
            assertTrue(dirty * PAGE <= WriteBehind.DEFAULT_THRESHOLD_BYTES,
                    "still dirty in the page cache: " + dirty * PAGE + " of " + WRITTEN + " bytes written");
            assertTrue(local.writeBehindsStarted() >= 1, "no write-back was started");
        } finally {
            System.clearProperty(WriteBehind.RATE_PROPERTY);
        }
    }

    @Test
    void smallWritesAreLeftToThePageCache() throws Exception {
        System.setProperty(WriteBehind.RATE_PROPERTY, "0");
        try (LocalComponent local = LocalComponent.open(file, LocalIoMode.BUFFERED, UnaryOperator.identity())) {
            ByteBuffer block = ByteBuffer.allocateDirect(4096);
            for (long at = 0; at < WRITTEN; at += 4096) {
                block.clear();
                local.writeFully(block, at);
            }
            assertEquals(0, local.writeBehindsStarted(), "4 KiB writes started a write-back");
        } finally {
            System.clearProperty(WriteBehind.RATE_PROPERTY);
        }
    }

    @Test
    void properties() {
        assertEquals(7, WriteBehind.number("p", null, 7));
        assertEquals(0, WriteBehind.number("p", "0", 7));
        assertEquals(1 << 20, WriteBehind.number("p", " 1048576 ", 7));
        assertEquals(7, WriteBehind.number("p", "lots", 7));
        assertEquals(7, WriteBehind.number("p", "-1", 7));
    }

    @Test
    void onlyWritesSlowerThanTheLimitAreWrittenBackEarly() {
        long limit = 200_000_000L;
        // 32 MiB in 0.3 s (112 MB/s, a 1 Gbit link): the disk idles, write back now.
        assertTrue(WriteBehind.pays(32L << 20, 300_000_000L, limit));
        // 32 MiB in 50 ms (671 MB/s, 127.0.0.1): the disk limits; the kernel's write-back runs anyway.
        assertFalse(WriteBehind.pays(32L << 20, 50_000_000L, limit));
        assertTrue(WriteBehind.pays(32L << 20, 1, 0), "0: any rate");
    }

    @Test
    void offWhereThereIsNothingToDo() {
        assertEquals(null, WriteBehind.startFor(-1, "x", false));
    }

    private static boolean sleep() {
        try {
            Thread.sleep(20);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The file's dirty pages, or minus the errno of cachestat. */
    private long dirtyPages() throws IOException {
        Syscall sys = LibraryLoader.create(Syscall.class).load("c");
        jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(sys);
        Pointer range = Memory.allocateDirect(runtime, 16);
        range.putLong(0, 0);
        range.putLong(8, 0); // to the end of the file
        Pointer stat = Memory.allocateDirect(runtime, 40);
        LibC libc = LibC.get();
        int fd = libc.open(file.toString(), 0);
        try {
            if (sys.syscall(SYS_CACHESTAT, fd, range, stat, 0) < 0) {
                return -runtime.getLastError();
            }
            return stat.getLong(8); // nr_cache, then nr_dirty
        } finally {
            libc.close(fd);
        }
    }
}
