package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

/** Zero detection and the 4-byte hole encoding (spec §10.2). */
class HoleTest {
    @Test
    void detectsZeroBlocksOnlyWhenEveryByteIsZero() {
        for (int size : new int[] {1, 7, 8, 9, 16, 24, 512, 4096, 4100, 65536}) {
            ByteBuffer b = ByteBuffer.allocate(size);
            assertTrue(Hole.isAllZero(b), "zeros of " + size);
            // Each single non-zero byte must be found, wherever it is (the probes cover only
            // three words, the scan the rest, the tail loop the last size % 8 bytes).
            for (int i = 0; i < size; i += Math.max(1, size / 97)) {
                b.put(i, (byte) 0x80);
                assertFalse(Hole.isAllZero(b), "byte " + i + " of " + size);
                b.put(i, (byte) 0);
            }
            b.put(size - 1, (byte) 1);
            assertFalse(Hole.isAllZero(b), "last byte of " + size);
        }
        assertFalse(Hole.isAllZero(ByteBuffer.allocate(0)), "nothing to save on an empty payload");
    }

    @Test
    void respectsPositionAndLimit() {
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        b.put(0, (byte) 1).put(63, (byte) 1);
        b.position(1).limit(63);
        assertTrue(Hole.isAllZero(b));
        assertEquals(1, b.position());
    }

    @Test
    void encodeDecode() throws CodecException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            ByteBuffer enc = ByteBuffer.allocate(6).order(order);
            enc.position(2);
            Hole.encode(1048576, enc);
            assertEquals(6, enc.position());
            assertArrayEquals(new byte[] {0, 0, 0x00, 0x00, 0x10, 0x00}, enc.array());
            enc.position(2);
            assertEquals(1048576, Hole.decodeLength(enc));
            ByteBuffer out = ByteBuffer.allocate(2 * 1048576);
            java.util.Arrays.fill(out.array(), (byte) 9);
            assertEquals(1048576, Hole.decode(enc, out));
            assertEquals(1048576, out.position());
            for (int i = 0; i < 1048576; i++) {
                if (out.get(i) != 0) {
                    throw new AssertionError("not zeroed at " + i);
                }
            }
            assertEquals(9, out.get(1048576), "nothing written past the hole");
        }
        assertEquals(0xffffffffL, Hole.decodeLength(ByteBuffer.wrap(new byte[] {-1, -1, -1, -1})));
        assertThrows(IllegalArgumentException.class, () -> Hole.encode(1L << 32, ByteBuffer.allocate(4)));
    }

    @Test
    void rejectsBadHoles() {
        for (int size : new int[] {0, 3, 5, 8}) {
            CodecException e = assertThrows(CodecException.class,
                    () -> Hole.decodeLength(ByteBuffer.allocate(size)));
            assertEquals("Unable to decompress (invalid size: " + size + ").", e.getMessage());
        }
        ByteBuffer big = ByteBuffer.wrap(new byte[] {0x01, 0x10, 0, 0}); // 4097
        ByteBuffer out = ByteBuffer.allocate(4096);
        assertThrows(CodecException.class, () -> Hole.decode(big, out));
        assertEquals(0, out.position());
    }
}
