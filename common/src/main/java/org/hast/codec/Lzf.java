package org.hast.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * <p>An instance owns a 2^16-entry hash table that every {@link #compress} call reuses (and
 * staging arrays for direct buffers), so it is not thread-safe: use one per thread.
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

    /** Staging for buffers without an array; grown on demand, then reused. */
    private byte[] scratchIn = new byte[0];
    private byte[] scratchOut = new byte[0];

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
     *
     * <p>Buffers without an accessible array (direct ones) are staged through this instance's
     * scratch arrays, which grow to the largest block seen and are then reused.
     */
    public int compress(ByteBuffer in, ByteBuffer out, int maxOut) {
        if (maxOut < 0) {
            throw new IllegalArgumentException("maxOut < 0: " + maxOut);
        }
        final int inLen = in.remaining();
        final int cap = Math.min(maxOut, out.remaining());
        if (inLen == 0) {
            return 0;
        }
        byte[] src;
        int srcOff;
        if (in.hasArray()) {
            src = in.array();
            srcOff = in.arrayOffset() + in.position();
        } else {
            src = stageIn(inLen);
            in.get(in.position(), src, 0, inLen);
            srcOff = 0;
        }
        boolean outDirect = !out.hasArray();
        byte[] dst = outDirect ? stageOut(cap) : out.array();
        int dstOff = outDirect ? 0 : out.arrayOffset() + out.position();
        int n = compress(src, srcOff, inLen, dst, dstOff, cap);
        if (n == 0) {
            return 0;
        }
        if (outDirect) {
            out.put(out.position(), dst, 0, n);
        }
        in.position(in.limit());
        out.position(out.position() + n);
        return n;
    }

    /**
     * The compressor proper over arrays: {@code src[srcOff, srcOff+len)} into
     * {@code dst[dstOff, dstOff+cap)}; returns the length or 0 if it does not fit.
     */
    private int compress(byte[] src, int srcOff, int len, byte[] dst, int dstOff, int cap) {
        final int gen = beginCall(len);
        final int[] tab = htab;
        final int end = srcOff + len;
        final int outEnd = dstOff + cap;

        int ip = srcOff;
        int op = dstOff + 1; // the first literal run's control byte is reserved
        int lit = 0;
        int hval = len >= 2 ? ((src[ip] & 0xff) << 8) | (src[ip + 1] & 0xff) : 0;

        while (ip < end - 2) {
            hval = (hval << 8) | (src[ip + 2] & 0xff);
            int slot = hashSlot(hval);
            int stored = tab[slot];
            tab[slot] = gen + (ip - srcOff);
            int ref = stored - gen + srcOff; // meaningful only when stored >= gen
            int off = ip - ref - 1;
            if (stored >= gen
                    && off < MAX_OFF
                    && ip + 4 < end
                    && ref > srcOff
                    && src[ref + 2] == src[ip + 2]
                    && src[ref] == src[ip]
                    && src[ref + 1] == src[ip + 1]) {
                if (op - (lit == 0 ? 1 : 0) + 3 + 1 >= outEnd) {
                    return 0;
                }
                // Close the open literal run; an empty run gives its reserved byte back.
                dst[op - lit - 1] = (byte) (lit - 1);
                if (lit == 0) {
                    op--;
                }
                int maxLen = Math.min(end - ip - 2, MAX_REF);
                int matched = matchLength(src, ref, ip, maxLen);
                int lenField = matched - 2;
                if (lenField < 7) {
                    dst[op++] = (byte) ((off >>> 8) + (lenField << 5));
                } else {
                    dst[op++] = (byte) ((off >>> 8) + (7 << 5));
                    dst[op++] = (byte) (lenField - 7);
                }
                dst[op++] = (byte) off;
                lit = 0;
                op++; // reserve the next run's control byte
                ip += matched;
                if (ip >= end - 2) {
                    break;
                }
                // VERY_FAST: hash only the last two positions of the match.
                ip -= 2;
                hval = ((src[ip] & 0xff) << 8) | (src[ip + 1] & 0xff);
                hval = (hval << 8) | (src[ip + 2] & 0xff);
                tab[hashSlot(hval)] = gen + (ip - srcOff);
                ip++;
                hval = (hval << 8) | (src[ip + 2] & 0xff);
                tab[hashSlot(hval)] = gen + (ip - srcOff);
                ip++;
            } else {
                if (op >= outEnd) {
                    return 0;
                }
                lit++;
                dst[op++] = src[ip++];
                if (lit == MAX_LIT) {
                    dst[op - MAX_LIT - 1] = (byte) (MAX_LIT - 1);
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
            dst[op++] = src[ip++];
            if (lit == MAX_LIT) {
                dst[op - MAX_LIT - 1] = (byte) (MAX_LIT - 1);
                lit = 0;
                op++;
            }
        }
        dst[op - lit - 1] = (byte) (lit - 1);
        if (lit == 0) {
            op--;
        }
        return op - dstOff;
    }

    /**
     * Decompresses the whole of {@code in[position, limit)} into {@code out} from its position,
     * never writing at or past {@code out.limit()}. On success returns the number of bytes
     * produced, advances {@code out}'s position by it and sets {@code in}'s position to its
     * limit. On any malformed input throws {@link CodecException} with both positions left
     * alone (bytes of {@code out} between position and limit may have been written).
     *
     * <p>Back-references may only reach bytes produced by this call, i.e. not before the
     * position {@code out} had on entry. Direct buffers are staged through this instance's
     * scratch arrays, like {@link #compress}.
     */
    public int decompress(ByteBuffer in, ByteBuffer out) throws CodecException {
        final int inLen = in.remaining();
        final int cap = out.remaining();
        byte[] src;
        int srcOff;
        if (in.hasArray()) {
            src = in.array();
            srcOff = in.arrayOffset() + in.position();
        } else {
            src = stageIn(inLen);
            in.get(in.position(), src, 0, inLen);
            srcOff = 0;
        }
        boolean outDirect = !out.hasArray();
        byte[] dst = outDirect ? stageOut(cap) : out.array();
        int dstOff = outDirect ? 0 : out.arrayOffset() + out.position();
        int n = decompress(src, srcOff, inLen, dst, dstOff, cap);
        if (outDirect) {
            out.put(out.position(), dst, 0, n);
        }
        in.position(in.limit());
        out.position(out.position() + n);
        return n;
    }

    /** The decoder proper over arrays; returns the decoded length. */
    private static int decompress(byte[] src, int srcOff, int len, byte[] dst, int dstOff,
            int cap) throws CodecException {
        final int inEnd = srcOff + len;
        final int outEnd = dstOff + cap;
        int ip = srcOff;
        int op = dstOff;
        while (ip < inEnd) {
            int ctrl = src[ip++] & 0xff;
            if (ctrl < MAX_LIT) {
                int run = ctrl + 1;
                if (run > outEnd - op || run > inEnd - ip) {
                    throw literalError(run, op - dstOff, cap, inEnd - ip);
                }
                if (run <= 16) {
                    for (int i = 0; i < run; i++) {
                        dst[op + i] = src[ip + i];
                    }
                } else {
                    System.arraycopy(src, ip, dst, op, run);
                }
                ip += run;
                op += run;
            } else {
                int n = ctrl >>> 5;
                if (n == 7) {
                    if (ip >= inEnd) {
                        throw new CodecException("LZF input overrun: back-reference length byte"
                                + " missing.");
                    }
                    n += src[ip++] & 0xff;
                }
                if (ip >= inEnd) {
                    throw new CodecException("LZF input overrun: back-reference offset byte"
                            + " missing.");
                }
                int ref = op - ((ctrl & 0x1f) << 8) - (src[ip++] & 0xff) - 1;
                n += 2;
                if (n > outEnd - op || ref < dstOff) {
                    throw referenceError(n, op - dstOff, cap, op - ref);
                }
                copyBack(dst, ref, op, n);
                op += n;
            }
        }
        return op - dstOff;
    }

    // Error construction stays out of the decoding loop to keep it small for the JIT.

    private static CodecException literalError(int run, int at, int cap, int inputLeft) {
        if (run > cap - at) {
            return new CodecException("LZF output overrun: literal run of " + run
                    + " bytes at output offset " + at + " exceeds the " + cap + "-byte buffer.");
        }
        return new CodecException("LZF input overrun: literal run of " + run
                + " bytes but only " + inputLeft + " left.");
    }

    private static CodecException referenceError(int n, int at, int cap, int distance) {
        if (n > cap - at) {
            return new CodecException("LZF output overrun: back-reference of " + n
                    + " bytes at output offset " + at + " exceeds the " + cap + "-byte buffer.");
        }
        return new CodecException("LZF back-reference " + distance + " bytes back at output"
                + " offset " + at + " points before the start of the output.");
    }

    /** Copies {@code n} bytes from {@code ref} forward to {@code op} as a byte loop would. */
    private static void copyBack(byte[] b, int ref, int op, int n) {
        if (n <= 16) {
            // Short copies dominate; a plain loop also gets overlapping right.
            for (int i = 0; i < n; i++) {
                b[op + i] = b[ref + i];
            }
            return;
        }
        // Overlap means the output repeats with period op - ref; copying that period again
        // and again (it doubles each time) gives the same bytes as the byte loop.
        while (n > 0) {
            int chunk = Math.min(op - ref, n);
            System.arraycopy(b, ref, b, op, chunk);
            op += chunk;
            n -= chunk;
        }
    }

    /**
     * Length of the common prefix of {@code b[ref..]} and {@code b[ip..]}, at least 3 (the
     * caller has compared those) and at most {@code maxLen}. liblzf compares byte by byte;
     * comparing eight at a time gives the same length.
     */
    private static int matchLength(byte[] b, int ref, int ip, int maxLen) {
        int len = 3;
        while (len + 8 <= maxLen) {
            long diff = (long) LONGS.get(b, ref + len) ^ (long) LONGS.get(b, ip + len);
            if (diff != 0) {
                return len + (Long.numberOfTrailingZeros(diff) >>> 3);
            }
            len += 8;
        }
        while (len < maxLen && b[ref + len] == b[ip + len]) {
            len++;
        }
        return len;
    }

    private byte[] stageIn(int n) {
        if (scratchIn.length < n) {
            scratchIn = new byte[Math.max(n, 2 * scratchIn.length)];
        }
        return scratchIn;
    }

    private byte[] stageOut(int n) {
        if (scratchOut.length < n) {
            scratchOut = new byte[Math.max(n, 2 * scratchOut.length)];
        }
        return scratchOut;
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

}
