package org.hast.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void missingFileIsAClearError() {
        IOException error = assertThrows(IOException.class, () -> LocalComponent.open(dir.resolve("absent")));
        assertTrue(error.getMessage().contains("No such file or directory"), error.getMessage());
    }
}
