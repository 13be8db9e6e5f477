package org.hast.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code compression hole} (spec §10.2): an all-zero payload travels as its length alone,
 * 4 bytes little-endian.
 *
 * <p>The reference asserts that the length is a multiple of 8 (sector-aligned I/O always is);
 * here any length works, the last {@code length % 8} bytes being checked one by one.
 */
public final class Hole {
    /** Size of an encoded hole: the uint32 LE original length. */
    public static final int ENCODED_LENGTH = 4;

    private Hole() {
    }

    /**
     * Whether {@code data[position, limit)} is all zeros. An empty range is not a hole (nothing
     * to save). Like the reference, probes the first, middle and last 64-bit word before the
     * full scan, so that ordinary data is rejected after three reads; the scan ORs words
     * without branching on each one.
     */
    public static boolean isAllZero(ByteBuffer data) {
        final int start = data.position();
        final int length = data.remaining();
        if (length == 0) {
            return false;
        }
        final int words = length >>> 3;
        // The word order does not matter for a comparison with zero.
        if (words > 0 && (data.getLong(start)
                | data.getLong(start + ((words >>> 1) << 3))
                | data.getLong(start + ((words - 1) << 3))) != 0) {
            return false;
        }
        long acc = 0;
        final int wordEnd = start + (words << 3);
        for (int i = start; i < wordEnd; i += 8) {
            acc |= data.getLong(i);
        }
        for (int i = wordEnd; i < start + length; i++) {
            acc |= data.get(i);
        }
        return acc == 0;
    }

    /**
     * Writes the 4-byte hole for a zero payload of {@code length} bytes into {@code out} at its
     * position and advances it.
     */
    public static void encode(long length, ByteBuffer out) {
        if (length < 0 || length > 0xffffffffL) {
            throw new IllegalArgumentException("hole length out of uint32 range: " + length);
        }
        putLe32(out, out.position(), (int) length);
        out.position(out.position() + ENCODED_LENGTH);
    }

    /**
     * The original length a hole payload {@code payload[position, limit)} stands for. The
     * payload must be exactly 4 bytes (the reference's "Unable to decompress (invalid size)").
     * The position does not move.
     */
    public static long decodeLength(ByteBuffer payload) throws CodecException {
        if (payload.remaining() != ENCODED_LENGTH) {
            throw new CodecException("Unable to decompress (invalid size: " + payload.remaining()
                    + ").");
        }
        return getLe32(payload, payload.position());
    }

    /**
     * Decodes a hole into {@code out}: writes that many zeros from its position, advances it and
     * returns the count. The zeros must fit below {@code out.limit()}.
     */
    public static int decode(ByteBuffer payload, ByteBuffer out) throws CodecException {
        long length = decodeLength(payload);
        if (length > out.remaining()) {
            throw new CodecException("Hole of " + length + " bytes exceeds the "
                    + out.remaining() + "-byte buffer.");
        }
        int n = (int) length;
        zero(out, out.position(), n);
        out.position(out.position() + n);
        return n;
    }

    /** Fills {@code out[from, from + n)} with zeros, a word at a time. */
    static void zero(ByteBuffer out, int from, int n) {
        int i = from;
        int end = from + n;
        for (; i + 8 <= end; i += 8) {
            out.putLong(i, 0L);
        }
        for (; i < end; i++) {
            out.put(i, (byte) 0);
        }
    }

    static long getLe32(ByteBuffer b, int index) {
        if (b.order() == ByteOrder.LITTLE_ENDIAN) {
            return b.getInt(index) & 0xffffffffL;
        }
        return Integer.reverseBytes(b.getInt(index)) & 0xffffffffL;
    }

    static void putLe32(ByteBuffer b, int index, int value) {
        b.putInt(index, b.order() == ByteOrder.LITTLE_ENDIAN ? value : Integer.reverseBytes(value));
    }
}
