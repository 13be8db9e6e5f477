package org.hast.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Raw LZF, the stream format hastd puts behind the 4-byte length of an {@code lzf} payload
 * (spec §10.2). Written from the format description; the compressor follows the greedy
 * single-probe hash strategy of liblzf with {@code HLOG = 16} and {@code VERY_FAST} so that its
 * output can match the reference byte for byte, which the tests check against the reference
 * vectors.
 *
 * <pre>
 * control byte c &lt; 32    literal run: c + 1 bytes follow and are copied
 * control byte c &gt;= 32   back-reference: len = c &gt;&gt; 5 (7 means: add the next byte),
 *                        then one offset byte o; copy len + 2 bytes from
 *                        out_pos - ((c &amp; 0x1f) &lt;&lt; 8) - o - 1, byte by byte (may overlap)
 * </pre>
 *
 * <p>An instance owns a 2^16-entry hash table that every {@link #compress} call reuses, so it
 * is not thread-safe; use one per thread. {@link #decompress} is static and keeps no state.
 */
public final class Lzf {
    /** Longest literal run one control byte can describe. */
    public static final int MAX_LIT = 1 << 5;
    /** Farthest back a reference can point (distance 1 .. 8192). */
    public static final int MAX_OFF = 1 << 13;
    /** Longest back-reference: 2 + 7 + 255 bytes. */
    public static final int MAX_REF = (1 << 8) + (1 << 3);

    private static final int HLOG = 16;
    private static final int HSIZE = 1 << HLOG;

    /**
     * Positions (plus {@link #base}) of the last occurrence of each 3-byte hash. An entry below
     * {@code base} belongs to an earlier call and counts as empty, which gives every call a
     * clean table without clearing 256 KiB each time.
     */
    private final int[] htab = new int[HSIZE];
    private int base = 1;

    /**
     * Compresses {@code in[position, limit)} into {@code out} starting at its position, using
     * at most {@code maxOut} bytes (and never more than {@code out.remaining()}).
     *
     * <p>On success returns the stream length, advances {@code out}'s position by it and sets
     * {@code in}'s position to its limit. Returns 0, leaving both positions alone, when the
     * input is empty or the stream does not fit; bytes of {@code out} up to the cap may then
     * have been overwritten. As in liblzf the space checks are slightly conservative (a match
     * wants 4 free bytes, the tail 3), so a stream that would fit with a byte or two to spare
     * can still be refused.
     */
    public int compress(ByteBuffer in, ByteBuffer out, int maxOut) {
        if (maxOut < 0) {
            throw new IllegalArgumentException("maxOut < 0: " + maxOut);
        }
        final int inStart = in.position();
        final int inLen = in.remaining();
        final int outStart = out.position();
        final int outEnd = outStart + Math.min(maxOut, out.remaining());
        if (inLen == 0) {
            return 0;
        }
        final int gen = beginCall(inLen);
        final int[] tab = htab;
        final int end = inStart + inLen;

        int ip = inStart;
        int op = outStart + 1; // the first literal run's control byte is reserved
        int lit = 0;
        int hval = inLen >= 2 ? (u8(in, ip) << 8) | u8(in, ip + 1) : 0;

        while (ip < end - 2) {
            hval = (hval << 8) | u8(in, ip + 2);
            int slot = hashSlot(hval);
            int stored = tab[slot];
            tab[slot] = gen + (ip - inStart);
            int ref = stored - gen + inStart; // meaningful only when stored >= gen
            int off = ip - ref - 1;
            if (stored >= gen
                    && off < MAX_OFF
                    && ip + 4 < end
                    && ref > inStart
                    && in.get(ref + 2) == in.get(ip + 2)
                    && in.get(ref) == in.get(ip)
                    && in.get(ref + 1) == in.get(ip + 1)) {
                if (op - (lit == 0 ? 1 : 0) + 3 + 1 >= outEnd) {
                    return 0;
                }
                // Close the open literal run; an empty run gives its reserved byte back.
                out.put(op - lit - 1, (byte) (lit - 1));
                if (lit == 0) {
                    op--;
                }
                int maxLen = Math.min(end - ip - 2, MAX_REF);
                int len = matchLength(in, ref, ip, maxLen);
                len -= 2;
                ip++;
                if (len < 7) {
                    out.put(op++, (byte) ((off >>> 8) + (len << 5)));
                } else {
                    out.put(op++, (byte) ((off >>> 8) + (7 << 5)));
                    out.put(op++, (byte) (len - 7));
                }
                out.put(op++, (byte) off);
                lit = 0;
                op++; // reserve the next run's control byte
                ip += len + 1;
                if (ip >= end - 2) {
                    break;
                }
                // VERY_FAST: hash the last two positions of the match only.
                ip -= 2;
                hval = (u8(in, ip) << 8) | u8(in, ip + 1);
                hval = (hval << 8) | u8(in, ip + 2);
                tab[hashSlot(hval)] = gen + (ip - inStart);
                ip++;
                hval = (hval << 8) | u8(in, ip + 2);
                tab[hashSlot(hval)] = gen + (ip - inStart);
                ip++;
            } else {
                if (op >= outEnd) {
                    return 0;
                }
                lit++;
                out.put(op++, in.get(ip++));
                if (lit == MAX_LIT) {
                    out.put(op - lit - 1, (byte) (MAX_LIT - 1));
                    lit = 0;
                    op++;
                }
            }
        }
        if (op + 3 > outEnd) {
            return 0;
        }
        while (ip < end) {
            lit++;
            out.put(op++, in.get(ip++));
            if (lit == MAX_LIT) {
                out.put(op - lit - 1, (byte) (MAX_LIT - 1));
                lit = 0;
                op++;
            }
        }
        out.put(op - lit - 1, (byte) (lit - 1));
        if (lit == 0) {
            op--;
        }
        in.position(end);
        out.position(op);
        return op - outStart;
    }

    /**
     * Decompresses the whole of {@code in[position, limit)} into {@code out} from its position,
     * never writing at or past {@code out.limit()}. On success returns the number of bytes
     * produced, advances {@code out}'s position by it and sets {@code in}'s position to its
     * limit. On any malformed input throws {@link CodecException} with both positions left
     * alone (bytes of {@code out} between position and limit may have been written).
     *
     * <p>Back-references may only reach bytes produced by this call, i.e. not before the
     * position {@code out} had on entry.
     */
    public static int decompress(ByteBuffer in, ByteBuffer out) throws CodecException {
        final int inEnd = in.limit();
        final int outStart = out.position();
        final int outEnd = out.limit();
        int ip = in.position();
        int op = outStart;
        while (ip < inEnd) {
            int ctrl = u8(in, ip++);
            if (ctrl < MAX_LIT) {
                int run = ctrl + 1;
                if (run > outEnd - op) {
                    throw new CodecException("LZF output overrun: literal run of " + run
                            + " bytes at output offset " + (op - outStart) + " exceeds the "
                            + (outEnd - outStart) + "-byte buffer.");
                }
                if (run > inEnd - ip) {
                    throw new CodecException("LZF input overrun: literal run of " + run
                            + " bytes but only " + (inEnd - ip) + " left.");
                }
                out.put(op, in, ip, run);
                ip += run;
                op += run;
            } else {
                int len = ctrl >>> 5;
                if (len == 7) {
                    if (ip >= inEnd) {
                        throw new CodecException("LZF input overrun: back-reference length byte"
                                + " missing.");
                    }
                    len += u8(in, ip++);
                }
                if (ip >= inEnd) {
                    throw new CodecException("LZF input overrun: back-reference offset byte"
                            + " missing.");
                }
                int ref = op - ((ctrl & 0x1f) << 8) - u8(in, ip++) - 1;
                len += 2;
                if (len > outEnd - op) {
                    throw new CodecException("LZF output overrun: back-reference of " + len
                            + " bytes at output offset " + (op - outStart) + " exceeds the "
                            + (outEnd - outStart) + "-byte buffer.");
                }
                if (ref < outStart) {
                    throw new CodecException("LZF back-reference " + (op - ref)
                            + " bytes back at output offset " + (op - outStart)
                            + " points before the start of the output.");
                }
                copyBack(out, ref, op, len);
                op += len;
            }
        }
        in.position(inEnd);
        out.position(op);
        return op - outStart;
    }

    /** Copies {@code len} bytes from {@code ref} forward to {@code op}, overlap included. */
    private static void copyBack(ByteBuffer out, int ref, int op, int len) {
        int distance = op - ref;
        if (distance >= len) {
            out.put(op, out, ref, len);
            return;
        }
        if (distance == 1) {
            byte b = out.get(ref);
            for (int i = 0; i < len; i++) {
                out.put(op + i, b);
            }
            return;
        }
        // Overlapping: each copied byte may be the source of a later one.
        for (int i = 0; i < len; i++) {
            out.put(op + i, out.get(ref + i));
        }
    }

    /**
     * Length of the common prefix of {@code in[ref..]} and {@code in[ip..]}, at least 3 (the
     * caller has compared those) and at most {@code maxLen}. liblzf compares byte by byte;
     * comparing eight at a time gives the same length.
     */
    private static int matchLength(ByteBuffer in, int ref, int ip, int maxLen) {
        int len = 3;
        if (len >= maxLen) {
            return len;
        }
        boolean little = in.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        while (len + 8 <= maxLen) {
            long diff = in.getLong(ref + len) ^ in.getLong(ip + len);
            if (diff != 0) {
                return len + (little ? Long.numberOfTrailingZeros(diff)
                        : Long.numberOfLeadingZeros(diff)) / 8;
            }
            len += 8;
        }
        while (len < maxLen && in.get(ref + len) == in.get(ip + len)) {
            len++;
        }
        return len;
    }

    /** liblzf's VERY_FAST {@code IDX()}: only the low 24 bits of {@code h} matter. */
    private static int hashSlot(int h) {
        return ((h >>> (3 * 8 - HLOG)) - h * 5) & (HSIZE - 1);
    }

    /** Reserves a fresh range of table values for a call over {@code inLen} bytes. */
    private int beginCall(int inLen) {
        if (base > Integer.MAX_VALUE - inLen - 1) {
            Arrays.fill(htab, 0);
            base = 1;
        }
        int gen = base;
        base += inLen;
        return gen;
    }

    /** Moves the table generation close to its wrap-around point, for tests. */
    void forceGenerationForTest(int newBase) {
        Arrays.fill(htab, 0);
        base = newBase;
    }

    private static int u8(ByteBuffer b, int index) {
        return b.get(index) & 0xff;
    }
}
