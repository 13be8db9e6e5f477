package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Hand-built LZF streams, one per control-byte form (spec §10.2), every malformed case the
 * decoder must reject, and compressor properties: round trip, buffer positions and caps,
 * table reuse between calls.
 */
class LzfTest {
    private static final byte SENTINEL = (byte) 0xA5;

    /** Decodes {@code stream} into a fresh buffer of {@code capacity}; returns the output. */
    private static byte[] decode(int capacity, int... stream) throws CodecException {
        ByteBuffer in = ByteBuffer.wrap(toBytes(stream));
        ByteBuffer out = ByteBuffer.allocate(capacity);
        int n = new Lzf().decompress(in, out);
        assertEquals(n, out.position());
        assertEquals(in.limit(), in.position());
        return Arrays.copyOf(out.array(), n);
    }

    private static byte[] toBytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- control-byte forms ----

    @Test
    void literalRun() throws CodecException {
        assertArrayEquals(ascii("abc"), decode(16,
                0x02, 'a', 'b', 'c'));                 // c=2: literal run of 3
    }

    @Test
    void longestLiteralRun() throws CodecException {
        int[] stream = new int[33];
        stream[0] = 0x1f;                              // c=31: literal run of 32
        byte[] expected = new byte[32];
        for (int i = 0; i < 32; i++) {
            stream[i + 1] = 'A' + i;
            expected[i] = (byte) ('A' + i);
        }
        assertArrayEquals(expected, decode(32, stream));
    }

    @Test
    void shortBackReferenceOverlapping() throws CodecException {
        assertArrayEquals(ascii("ababa"), decode(16,
                0x01, 'a', 'b',                        // literal "ab"
                0x20, 0x01));                          // len field 1 → copy 3, offset 1 → 2 back
    }

    @Test
    void everyShortLengthField() throws CodecException {
        for (int lenField = 1; lenField <= 6; lenField++) {
            byte[] got = decode(64,
                    0x00, 'z',                         // literal "z"
                    lenField << 5, 0x00);              // copy lenField + 2 from 1 back
            byte[] expected = new byte[1 + lenField + 2];
            Arrays.fill(expected, (byte) 'z');
            assertArrayEquals(expected, got, "length field " + lenField);
        }
    }

    @Test
    void extendedLengthBackReference() throws CodecException {
        byte[] got = decode(64,
                0x00, 'x',                             // literal "x"
                0xe0, 0x00, 0x00);                     // len 7 + 0 → copy 9 from 1 back
        byte[] expected = new byte[10];
        Arrays.fill(expected, (byte) 'x');
        assertArrayEquals(expected, got);
    }

    @Test
    void longestBackReference() throws CodecException {
        byte[] got = decode(300,
                0x00, 'y',                             // literal "y"
                0xe0, 0xff, 0x00);                     // len 7 + 255 → copy 264 from 1 back
        assertEquals(1 + Lzf.MAX_REF, got.length);
        for (byte b : got) {
            assertEquals('y', b);
        }
    }

    @Test
    void farthestBackReference() throws CodecException {
        // 8192 literal bytes (256 runs of 32), then a reference 8192 back: the first bytes.
        int[] stream = new int[256 * 33 + 2];
        byte[] expected = new byte[8192 + 3];
        int p = 0;
        for (int run = 0; run < 256; run++) {
            stream[p++] = 0x1f;
            for (int i = 0; i < 32; i++) {
                int v = (run * 32 + i) * 7 & 0xff;
                stream[p++] = v;
                expected[run * 32 + i] = (byte) v;
            }
        }
        stream[p++] = 0x20 | 0x1f;                     // len field 1, offset high 0x1f
        stream[p] = 0xff;                              // offset 0x1fff → 8192 back
        System.arraycopy(expected, 0, expected, 8192, 3);
        assertArrayEquals(expected, decode(9000, stream));
    }

    @Test
    void offsetHighBitsCombine() throws CodecException {
        // 300 distinct literals, then copy 3 from (0x01 << 8 | 0x0b) + 1 = 268 back.
        int[] stream = new int[10 * 33 + 2];
        byte[] expected = new byte[303];
        int p = 0;
        int produced = 0;
        while (produced < 300) {
            int run = Math.min(32, 300 - produced);
            stream[p++] = run - 1;
            for (int i = 0; i < run; i++) {
                int v = (produced * 13 + 5) & 0xff;
                stream[p++] = v;
                expected[produced++] = (byte) v;
            }
        }
        stream[p++] = 0x20 | 0x01;
        stream[p++] = 0x0b;
        System.arraycopy(expected, 300 - 268, expected, 300, 3);
        assertArrayEquals(expected, decode(303, Arrays.copyOf(stream, p)));
    }

    @Test
    void emptyStreamIsEmptyOutput() throws CodecException {
        assertEquals(0, decode(0).length);
    }

    // ---- malformed streams ----

    private static String reject(int capacity, int... stream) {
        ByteBuffer in = ByteBuffer.wrap(toBytes(stream));
        ByteBuffer backing = ByteBuffer.allocate(capacity + 16);
        for (int i = 0; i < backing.capacity(); i++) {
            backing.put(i, SENTINEL);
        }
        ByteBuffer out = backing.duplicate();
        out.limit(capacity);
        CodecException e = assertThrows(CodecException.class, () -> new Lzf().decompress(in, out));
        assertEquals(0, in.position(), "input position untouched on failure");
        assertEquals(0, out.position(), "output position untouched on failure");
        for (int i = capacity; i < backing.capacity(); i++) {
            assertEquals(SENTINEL, backing.get(i), "byte past the limit written at " + i);
        }
        return e.getMessage();
    }

    @Test
    void truncatedLiteralRun() {
        assertTrue(reject(16, 0x05, 'a', 'b').contains("input overrun"));
    }

    @Test
    void literalRunPastOutput() {
        assertTrue(reject(2, 0x02, 'a', 'b', 'c').contains("output overrun"));
    }

    @Test
    void backReferenceWithoutOffsetByte() {
        assertTrue(reject(16, 0x00, 'a', 0x20).contains("offset byte missing"));
    }

    @Test
    void extendedLengthWithoutLengthByte() {
        assertTrue(reject(16, 0x00, 'a', 0xe0).contains("length byte missing"));
    }

    @Test
    void extendedLengthWithoutOffsetByte() {
        assertTrue(reject(16, 0x00, 'a', 0xe0, 0x05).contains("offset byte missing"));
    }

    @Test
    void backReferenceBeforeStart() {
        assertTrue(reject(16, 0x20, 0x00).contains("before the start"));
        assertTrue(reject(16, 0x00, 'a', 0x20, 0x01).contains("before the start"));
        assertTrue(reject(16, 0x00, 'a', 0x3f, 0xff).contains("before the start"));
    }

    @Test
    void backReferencePastOutput() {
        assertTrue(reject(4, 0x00, 'a', 0x40, 0x00).contains("output overrun"));
        assertTrue(reject(200, 0x00, 'a', 0xe0, 0xff, 0x00).contains("output overrun"));
    }

    @Test
    void backReferenceCannotReachBytesBeforeTheOutputPosition() {
        ByteBuffer out = ByteBuffer.allocate(32);
        out.position(10); // bytes 0..9 belong to someone else
        ByteBuffer in = ByteBuffer.wrap(toBytes(0x00, 'a', 0x20, 0x01));
        assertThrows(CodecException.class, () -> new Lzf().decompress(in, out));
        assertEquals(10, out.position());
    }

    // ---- compressor ----

    private static byte[] compressible(Random rnd, int size) {
        String[] words = {"HAST ", "extent ", "primary ", "secondary ", "sync ", "0123 ",
            "\n", "activemap ", "replication "};
        byte[] b = new byte[size];
        int p = 0;
        while (p < size) {
            if (rnd.nextInt(10) == 0) {
                b[p++] = (byte) rnd.nextInt(256);
                continue;
            }
            byte[] w = ascii(words[rnd.nextInt(words.length)]);
            for (int i = 0; i < w.length && p < size; i++) {
                b[p++] = w[i];
            }
        }
        return b;
    }

    private static byte[] roundTrip(Lzf lzf, byte[] data, boolean direct) throws CodecException {
        ByteBuffer in = direct ? ByteBuffer.allocateDirect(data.length) : ByteBuffer.allocate(data.length);
        in.put(data).flip();
        int cap = data.length + data.length / 16 + 64;
        ByteBuffer out = direct ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap);
        int n = lzf.compress(in, out, cap);
        assertTrue(n > 0 || data.length == 0, "worst case fits in len + len/16 + 64");
        out.flip();
        ByteBuffer back = ByteBuffer.allocate(data.length);
        assertEquals(data.length, new Lzf().decompress(out, back));
        return back.array();
    }

    @Test
    void roundTripRandomAndCompressible() throws CodecException {
        Lzf lzf = new Lzf();
        Random rnd = new Random(42);
        for (int i = 0; i < 400; i++) {
            int size = i < 40 ? i : rnd.nextInt(i < 300 ? 5000 : 200_000);
            byte[] data;
            switch (i % 4) {
                case 0:
                    data = new byte[size];
                    rnd.nextBytes(data);
                    break;
                case 1:
                    data = compressible(rnd, size);
                    break;
                case 2:
                    data = new byte[size];
                    Arrays.fill(data, (byte) rnd.nextInt(256));
                    break;
                default:
                    data = new byte[size];
                    for (int j = 0; j < size; j++) {
                        data[j] = (byte) (j % (1 + rnd.nextInt(300)) == 0 ? rnd.nextInt(4) : j / 8192);
                    }
            }
            assertArrayEquals(data, roundTrip(lzf, data, i % 3 == 0), "case " + i + " size " + size);
        }
    }

    @Test
    void compressibleDataShrinks() {
        byte[] data = compressible(new Random(7), 65536);
        ByteBuffer out = ByteBuffer.allocate(65536);
        int n = new Lzf().compress(ByteBuffer.wrap(data), out, 65536);
        assertTrue(n > 0 && n < data.length / 2, "got " + n);
    }

    @Test
    void outputDoesNotDependOnCapOrOnPreviousCalls() {
        Random rnd = new Random(3);
        Lzf shared = new Lzf();
        for (int i = 0; i < 50; i++) {
            byte[] data = compressible(rnd, 1000 + rnd.nextInt(20000));
            ByteBuffer ref = ByteBuffer.allocate(data.length * 2);
            int n = new Lzf().compress(ByteBuffer.wrap(data), ref, ref.capacity());
            byte[] expected = Arrays.copyOf(ref.array(), n);
            // The reference's space checks need at most 4 spare bytes.
            for (int cap : new int[] {n - 1, n, n + 1, n + 2, n + 3, n + 4, n + 100}) {
                ByteBuffer backing = ByteBuffer.allocate(cap + 64);
                for (int j = 0; j < backing.capacity(); j++) {
                    backing.put(j, SENTINEL);
                }
                ByteBuffer in = ByteBuffer.wrap(data);
                int got = shared.compress(in, backing, cap);
                for (int j = Math.max(cap, 0); j < backing.capacity(); j++) {
                    assertEquals(SENTINEL, backing.get(j), "written past the cap");
                }
                if (got == 0) {
                    assertTrue(cap < n + 4, "refused with cap " + cap + " for " + n);
                    assertEquals(0, in.position());
                    assertEquals(0, backing.position());
                } else {
                    assertEquals(n, got);
                    assertArrayEquals(expected, Arrays.copyOf(backing.array(), n));
                    assertEquals(data.length, in.position());
                    assertEquals(n, backing.position());
                }
            }
        }
    }

    @Test
    void tinyInputs() throws CodecException {
        Lzf lzf = new Lzf();
        assertEquals(0, lzf.compress(ByteBuffer.allocate(0), ByteBuffer.allocate(16), 16));
        for (int size = 1; size <= 8; size++) {
            byte[] data = new byte[size];
            Arrays.fill(data, (byte) 'q');
            assertArrayEquals(data, roundTrip(lzf, data, false));
        }
        // One literal byte needs its control byte, and the tail check wants 3 free bytes.
        assertEquals(0, lzf.compress(ByteBuffer.wrap(new byte[] {1}), ByteBuffer.allocate(16), 2));
        assertEquals(2, lzf.compress(ByteBuffer.wrap(new byte[] {1}), ByteBuffer.allocate(16), 4));
    }

    @Test
    void honoursPositionsLimitsAndByteOrder() throws CodecException {
        byte[] data = compressible(new Random(11), 20000);
        ByteBuffer plain = ByteBuffer.allocate(30000);
        int n = new Lzf().compress(ByteBuffer.wrap(data), plain, 30000);
        byte[] expected = Arrays.copyOf(plain.array(), n);

        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            ByteBuffer in = ByteBuffer.allocateDirect(data.length + 100).order(order);
            in.position(37);
            in.put(data);
            in.limit(37 + data.length).position(37);
            ByteBuffer out = ByteBuffer.allocateDirect(40000).order(order);
            out.position(1000);
            assertEquals(n, new Lzf().compress(in, out, 30000));
            assertEquals(1000 + n, out.position());
            byte[] got = new byte[n];
            out.position(1000);
            out.get(got);
            assertArrayEquals(expected, got, order.toString());

            ByteBuffer stream = out.duplicate();
            stream.position(1000).limit(1000 + n);
            ByteBuffer back = ByteBuffer.allocate(data.length + 50);
            back.position(50);
            assertEquals(data.length, new Lzf().decompress(stream, back));
            assertArrayEquals(data, Arrays.copyOfRange(back.array(), 50, 50 + data.length));
        }
    }

    @Test
    void tableGenerationWrapsCleanly() throws CodecException {
        Lzf lzf = new Lzf();
        byte[] data = compressible(new Random(5), 70000);
        ByteBuffer ref = ByteBuffer.allocate(80000);
        int n = new Lzf().compress(ByteBuffer.wrap(data), ref, 80000);
        for (int round = 0; round < 3; round++) {
            lzf.forceGenerationForTest(Integer.MAX_VALUE - 100_000);
            for (int i = 0; i < 3; i++) {
                ByteBuffer out = ByteBuffer.allocate(80000);
                assertEquals(n, lzf.compress(ByteBuffer.wrap(data), out, 80000));
                assertArrayEquals(Arrays.copyOf(ref.array(), n), Arrays.copyOf(out.array(), n));
            }
        }
    }
}
