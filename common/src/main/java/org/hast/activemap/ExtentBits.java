package org.hast.activemap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bit sets over {@code long[]} words with the on-disk layout of spec §7.1: bit {@code e} is
 * bit {@code e % 8} of byte {@code e / 8}, which is what a little-endian dump of the words
 * gives (FreeBSD's {@code bitstring(3)} on a little-endian host).
 */
final class ExtentBits {
    private ExtentBits() {
    }

    static long[] create(int nbits) {
        return new long[wordCount(nbits)];
    }

    static int wordCount(int nbits) {
        return (nbits + 63) >>> 6;
    }

    static boolean test(long[] words, int bit) {
        return (words[bit >>> 6] & (1L << bit)) != 0;
    }

    static void set(long[] words, int bit) {
        words[bit >>> 6] |= 1L << bit;
    }

    static void clear(long[] words, int bit) {
        words[bit >>> 6] &= ~(1L << bit);
    }

    /** The first set bit at or after {@code from} and below {@code nbits}, or -1. */
    static int nextSetBit(long[] words, int from, int nbits) {
        if (from >= nbits) {
            return -1;
        }
        int w = from >>> 6;
        long word = words[w] & (-1L << from);
        while (true) {
            if (word != 0) {
                int bit = (w << 6) + Long.numberOfTrailingZeros(word);
                return bit < nbits ? bit : -1;
            }
            if (++w >= words.length) {
                return -1;
            }
            word = words[w];
        }
    }

    static int cardinality(long[] words) {
        int n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /**
     * Reads {@code words.length * 8} bytes (or fewer if {@code src} has fewer left) from
     * {@code src} at its position into {@code words}, ignoring bits at or above {@code nbits}.
     * The position does not move.
     */
    static void readLe(long[] words, ByteBuffer src, int nbits) {
        int base = src.position();
        int available = src.remaining();
        for (int w = 0; w < words.length; w++) {
            long v = 0;
            int off = w << 3;
            if (off + 8 <= available) {
                v = src.getLong(base + off);
                if (src.order() == ByteOrder.BIG_ENDIAN) {
                    v = Long.reverseBytes(v);
                }
            } else {
                for (int i = 0; i < 8 && off + i < available; i++) {
                    v |= (src.get(base + off + i) & 0xffL) << (8 * i);
                }
            }
            words[w] = v;
        }
        int tail = nbits & 63;
        if (tail != 0 && words.length > 0) {
            words[words.length - 1] &= (1L << tail) - 1;
        }
    }

    /**
     * Writes {@code words} little-endian to {@code dst} at {@code index}, then zeros up to
     * {@code length} bytes in all ({@code length >= words.length * 8}).
     */
    static void writeLe(long[] words, ByteBuffer dst, int index, int length) {
        boolean big = dst.order() == ByteOrder.BIG_ENDIAN;
        int i = index;
        for (long w : words) {
            dst.putLong(i, big ? Long.reverseBytes(w) : w);
            i += 8;
        }
        int end = index + length;
        for (; i + 8 <= end; i += 8) {
            dst.putLong(i, 0L);
        }
        for (; i < end; i++) {
            dst.put(i, (byte) 0);
        }
    }
}
