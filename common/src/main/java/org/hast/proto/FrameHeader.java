package org.hast.proto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 5-byte header in front of every HAST message (spec §4.1):
 * <pre>
 * offset 0  uint8   version   sender's protocol version (2 without a resource context)
 * offset 1  uint32  nv size   little-endian, length of the nv blob that follows
 * </pre>
 * Packed, no magic, no checksum. Reading and writing use explicit little-endian order, so
 * buffers of any byte order (a Netty {@code nioBuffer()} view is big-endian) can be passed.
 *
 * @param version the version byte, 0..255
 * @param nvSize  the nv blob length in bytes
 */
public record FrameHeader(int version, int nvSize) {
    public static final int HEADER_SIZE = 5;
    /** {@code HAST_PROTO_VERSION}: the highest version this implementation speaks. */
    public static final int MAX_VERSION = 2;

    public FrameHeader {
        if (version < 0 || version > 0xff) {
            throw new IllegalArgumentException("frame version " + version + " is not a byte");
        }
        if (nvSize < 0) {
            throw new IllegalArgumentException("negative nv size " + nvSize);
        }
    }

    /**
     * Reads a header at {@code src}'s position and advances it by {@link #HEADER_SIZE}. A
     * stream decoder should wait until five bytes are there; fewer is reported as TRUNCATED.
     *
     * @param maxNvSize the largest nv blob the caller will accept (the reference has no cap)
     * @throws FrameException TRUNCATED with fewer than five bytes, VERSION for a version above
     *         {@link #MAX_VERSION}, TOO_LARGE for an nv size above {@code maxNvSize}; the
     *         position is not moved then
     */
    public static FrameHeader decode(ByteBuffer src, int maxNvSize) throws FrameException {
        int at = src.position();
        if (src.remaining() < HEADER_SIZE) {
            throw new FrameException(FrameException.Kind.TRUNCATED, "truncated frame header: "
                    + src.remaining() + " of " + HEADER_SIZE + " bytes");
        }
        int version = src.get(at) & 0xff;
        long size = (src.get(at + 1) & 0xffL)
                | (src.get(at + 2) & 0xffL) << 8
                | (src.get(at + 3) & 0xffL) << 16
                | (src.get(at + 4) & 0xffL) << 24;
        if (version > MAX_VERSION) {
            throw new FrameException(FrameException.Kind.VERSION, "unsupported protocol version "
                    + version + " (this side speaks up to " + MAX_VERSION + ")");
        }
        if (size > maxNvSize) {
            throw new FrameException(FrameException.Kind.TOO_LARGE, "nv size " + size
                    + " exceeds the limit of " + maxNvSize + " bytes");
        }
        src.position(at + HEADER_SIZE);
        return new FrameHeader(version, (int) size);
    }

    /** Writes the five bytes at {@code dst}'s position and advances it. */
    public void encodeTo(ByteBuffer dst) {
        dst.put((byte) version)
                .put((byte) nvSize)
                .put((byte) (nvSize >>> 8))
                .put((byte) (nvSize >>> 16))
                .put((byte) (nvSize >>> 24));
    }

    /** The five bytes in a new little-endian buffer, positioned at 0. */
    public ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        encodeTo(buf);
        return buf.flip();
    }
}
