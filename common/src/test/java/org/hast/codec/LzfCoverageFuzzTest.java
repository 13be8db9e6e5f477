package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided input for {@link Lzf} (docs/fuzzing.md). A stream from the wire may only
 * decode within the caller's buffer or fail with {@link CodecException}; heap and direct
 * buffers decode alike; and whatever is compressed decompresses to itself.
 */
class LzfCoverageFuzzTest {
    /** The largest block the wire carries is 128 KiB (MAXPHYS); a fuzzed cap stays below. */
    private static final int MAX_CAP = 1 << 17;
    /** Filled into the output first: bytes past the decoded length must keep it. */
    private static final byte CANARY = (byte) 0xA5;

    private final Lzf heap = new Lzf();
    private final Lzf direct = new Lzf();
    /** Reused across inputs: a fresh 128 KiB (direct) buffer per input would dominate the run. */
    private final byte[] out = new byte[MAX_CAP + 16];
    private final ByteBuffer directOut = ByteBuffer.allocateDirect(MAX_CAP);
    private ByteBuffer directIn = ByteBuffer.allocateDirect(4096);

    @FuzzTest
    void decompress(FuzzedDataProvider data) {
        int cap = data.consumeInt(0, MAX_CAP);
        byte[] stream = data.consumeRemainingAsBytes();

        Arrays.fill(out, 0, cap + 16, CANARY);
        ByteBuffer heapOut = ByteBuffer.wrap(out, 8, cap).slice();
        ByteBuffer in = ByteBuffer.wrap(stream);
        int n;
        try {
            n = heap.decompress(in, heapOut);
        } catch (CodecException e) {
            assertOneLine(e);
            assertDirectRefuses(stream, cap);
            return;
        }
        assertTrue(n >= 0 && n <= cap, "decoded length " + n + " within " + cap);
        assertEquals(n, heapOut.position());
        assertEquals(stream.length, in.position(), "input consumed");
        for (int i = 0; i < 8; i++) {
            assertEquals(CANARY, out[i], "nothing written before the output");
        }
        for (int i = 8 + n; i < cap + 16; i++) {
            assertEquals(CANARY, out[i], "nothing written past the decoded length");
        }
        directOut.clear().limit(cap);
        int m = assertDoesNotRefuse(() -> direct.decompress(directInput(stream), directOut));
        assertEquals(n, m, "direct and heap decode the same length");
        byte[] fromDirect = new byte[n];
        directOut.flip().get(fromDirect);
        assertArrayEquals(Arrays.copyOfRange(out, 8, 8 + n), fromDirect);
    }

    @FuzzTest
    void roundTrip(FuzzedDataProvider data) {
        int slack = data.consumeInt(0, 64);
        byte[] block = data.consumeRemainingAsBytes();
        ByteBuffer compressed = ByteBuffer.allocate(block.length + slack);
        int len = heap.compress(ByteBuffer.wrap(block), compressed, compressed.capacity());
        if (len == 0) {
            // refused: the block is empty or the stream would not fit
            assertEquals(0, compressed.position());
            return;
        }
        assertTrue(len <= block.length + slack);
        compressed.flip();
        ByteBuffer back = ByteBuffer.allocate(block.length);
        int n = assertDoesNotRefuse(() -> heap.decompress(compressed, back));
        assertEquals(block.length, n);
        assertArrayEquals(block, back.array());
    }

    private ByteBuffer directInput(byte[] stream) {
        if (directIn.capacity() < stream.length) {
            directIn = ByteBuffer.allocateDirect(stream.length);
        }
        return directIn.clear().put(stream).flip();
    }

    private void assertDirectRefuses(byte[] stream, int cap) {
        directOut.clear().limit(cap);
        try {
            direct.decompress(directInput(stream), directOut);
        } catch (CodecException e) {
            return;
        }
        throw new AssertionError("a direct buffer accepted what a heap buffer refused");
    }

    private interface Decoding {
        int run() throws CodecException;
    }

    private static int assertDoesNotRefuse(Decoding decoding) {
        try {
            return decoding.run();
        } catch (CodecException e) {
            throw new AssertionError("refused: " + e.getMessage(), e);
        }
    }

    private static void assertOneLine(Exception e) {
        String message = e.getMessage();
        assertTrue(message != null && !message.isEmpty() && !message.contains("\n"),
                "one-line message: " + message);
    }
}
