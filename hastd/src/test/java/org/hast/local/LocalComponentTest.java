package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.hast.conf.LocalIoMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.hast.worker.RecordingComponentIo;

/** The local component on a regular file: lock, I/O, hole punching, flush. */
class LocalComponentTest {
    @TempDir
    Path dir;

    private Path file(long size) throws IOException {
        Path path = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size);
        }
        return path;
    }

    @Test
    void secondOpenIsRefusedByTheLock() throws Exception {
        Path path = file(1 << 20);
        try (LocalComponent first = LocalComponent.open(path)) {
            IOException refused = assertThrows(IOException.class, () -> LocalComponent.open(path));
            assertEquals("Unable to lock " + path + ": Resource temporarily unavailable.", refused.getMessage());
        }
        LocalComponent.open(path).close();
    }

    @Test
    void discardPunchesAHoleThatReadsAsZeros() throws Exception {
        Path path = file(4 << 20);
        try (LocalComponent local = LocalComponent.open(path)) {
            ByteBuffer data = ByteBuffer.allocate(2 << 20);
            while (data.hasRemaining()) {
                data.put((byte) 0x5a);
            }
            data.flip();
            local.writeFully(data, 1 << 20);
            assertTrue(local.flush());
            long before = (Long) Files.getAttribute(path, "unix:size");
            local.discard(1 << 20, 1 << 20);
            ByteBuffer back = ByteBuffer.allocate(2 << 20);
            local.readFully(back, 1 << 20);
            for (int i = 0; i < (1 << 20); i++) {
                assertEquals(0, back.get(i), "byte " + i + " of the discarded range");
            }
            for (int i = 1 << 20; i < (2 << 20); i++) {
                assertEquals(0x5a, back.get(i), "byte " + i + " after the discarded range");
            }
            assertEquals(before, (Long) Files.getAttribute(path, "unix:size"), "KEEP_SIZE");
        }
    }

    /**
     * Durable writes go to a descriptor the kernel syncs on every write (O_DSYNC in its
     * {@code /proc/self/fdinfo} flags), the data descriptor stays buffered.
     */
    @Test
    void durableWritesUseAnOdsyncDescriptorBesideABufferedOne() throws Exception {
        Path path = file(1 << 20);
        try (LocalComponent local = LocalComponent.open(path)) {
            List<Integer> flags = new ArrayList<>();
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    Path target;
                    try {
                        target = Files.readSymbolicLink(fd);
                    } catch (IOException gone) {
                        continue;
                    }
                    if (target.equals(path)) {
                        flags.add(fdinfoFlags(fd.getFileName().toString()));
                    }
                }
            }
            assertTrue(flags.stream().anyMatch(f -> (f & O_DSYNC) != 0), "no O_DSYNC descriptor among " + flags);
            assertTrue(flags.stream().anyMatch(f -> (f & O_DSYNC) == 0 && (f & 3) == 2),
                    "no buffered read-write descriptor among " + flags);
            ByteBuffer bytes = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
            assertTrue(local.writeDurably(bytes, 4096));
            ByteBuffer back = ByteBuffer.allocate(4);
            local.readFully(back, 4096);
            assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), back.flip());
        }
    }

    private static final int O_DSYNC = 010000;

    private static int fdinfoFlags(String fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        throw new IOException("no flags in fdinfo of " + fd);
    }

    /** A provider that refuses synchronous writes: write + fdatasync instead, and only one refusal. */
    @Test
    void refusedDurableWriteFallsBackToWriteAndFlush() throws Exception {
        Path path = file(1 << 20);
        AtomicReference<RecordingComponentIo> calls = new AtomicReference<>();
        try (LocalComponent local = LocalComponent.open(path, LocalIoMode.BUFFERED, io -> {
            calls.set(new RecordingComponentIo(io));
            return calls.get();
        })) {
            calls.get().refuseDurableWrites();
            for (int i = 0; i < 2; i++) {
                assertTrue(local.writeDurably(ByteBuffer.wrap(new byte[] {9, 8, 7}), 4096));
            }
            ByteBuffer back = ByteBuffer.allocate(3);
            local.readFully(back, 4096);
            assertEquals(ByteBuffer.wrap(new byte[] {9, 8, 7}), back.flip());
        }
        List<RecordingComponentIo.Call> order = calls.get().events().stream()
                .map(RecordingComponentIo.Event::call).toList();
        assertEquals(List.of(RecordingComponentIo.Call.WRITE_DURABLE, RecordingComponentIo.Call.WRITE,
                RecordingComponentIo.Call.FLUSH, RecordingComponentIo.Call.WRITE, RecordingComponentIo.Call.FLUSH),
                order);
    }

    @Test
    void missingFileIsAClearError() {
        IOException error = assertThrows(IOException.class, () -> LocalComponent.open(dir.resolve("absent")));
        assertTrue(error.getMessage().contains("No such file or directory"), error.getMessage());
    }
}
