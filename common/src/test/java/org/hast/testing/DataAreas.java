package org.hast.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Byte-level checks of local components, the last word of every replication test: both nodes'
 * data areas compared or hashed straight from their files (a sparse file reads as zeros past
 * its end, as the device would).
 */
public final class DataAreas {
    private static final int CHUNK = 1 << 20;

    private DataAreas() {
    }

    /** Fails with the first differing offset unless the two ranges hold the same bytes. */
    public static void assertSame(Path x, long xOffset, Path y, long yOffset, long length, String what)
            throws IOException {
        try (FileChannel cx = FileChannel.open(x); FileChannel cy = FileChannel.open(y)) {
            ByteBuffer bx = ByteBuffer.allocate(CHUNK);
            ByteBuffer by = ByteBuffer.allocate(CHUNK);
            for (long done = 0; done < length; done += CHUNK) {
                int n = (int) Math.min(CHUNK, length - done);
                readFully(cx, bx.clear().limit(n), xOffset + done);
                readFully(cy, by.clear().limit(n), yOffset + done);
                int at = Arrays.mismatch(bx.array(), 0, n, by.array(), 0, n);
                if (at >= 0) {
                    throw new AssertionError(what + ": first difference at data offset " + (done + at)
                            + " (4 KiB block " + (done + at) / 4096 + ")");
                }
            }
        }
    }

    /** Both nodes' data areas of {@code resource} (the same localoff on both) hold the same bytes. */
    public static void assertIdentical(HastNode a, HastNode b, String resource, long diskBytes, String what)
            throws IOException {
        long offset = a.localOffset(resource);
        if (offset != b.localOffset(resource)) {
            throw new AssertionError(what + ": localoff differs: " + offset + " vs " + b.localOffset(resource));
        }
        assertSame(a.disk(resource), offset, b.disk(resource), offset, diskBytes - offset, what);
    }

    /** SHA-256 of {@code length} bytes of {@code file} from {@code offset}, in hex. */
    public static String digest(Path file, long offset, long length) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        try (FileChannel ch = FileChannel.open(file)) {
            for (long done = 0; done < length; done += CHUNK) {
                readFully(ch, buf.clear().limit((int) Math.min(CHUNK, length - done)), offset + done);
                sha.update(buf.flip());
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Fills {@code buf} from {@code position}; zeros where the file ends early. */
    public static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                while (buf.hasRemaining()) {
                    buf.put((byte) 0);
                }
                return;
            }
            at += n;
        }
    }
}
