package org.hast.proto;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class FrameHeaderTest {

    @Test
    void encodesVersionThenLittleEndianSize() {
        assertArrayEquals(bytes(
                "02",            // version 2
                "9a 03 00 00"),  // nv size 922
                array(new FrameHeader(2, 922).encode()));
    }

    @Test
    void encodeToABigEndianBufferIsStillLittleEndian() {
        ByteBuffer big = ByteBuffer.allocate(5).order(ByteOrder.BIG_ENDIAN);
        new FrameHeader(1, 0x01020304).encodeTo(big);
        assertArrayEquals(bytes("01", "04 03 02 01"), big.array());
    }

    @Test
    void decodesAndAdvances() throws FrameException {
        ByteBuffer buf = ByteBuffer.wrap(bytes("ff", "02", "34 00 00 00", "aa"));
        buf.position(1);
        FrameHeader header = FrameHeader.decode(buf, 1 << 20);
        assertEquals(new FrameHeader(2, 52), header);
        assertEquals(6, buf.position());
    }

    @Test
    void versionsZeroToTwoAreAccepted() throws FrameException {
        for (int v = 0; v <= FrameHeader.MAX_VERSION; v++) {
            byte[] b = bytes("00", "00 00 00 00");
            b[0] = (byte) v;
            assertEquals(v, FrameHeader.decode(ByteBuffer.wrap(b), 0).version());
        }
    }

    @Test
    void versionAboveTwoIsRejected() {
        ByteBuffer buf = ByteBuffer.wrap(bytes("03", "16 00 00 00"));
        FrameException e = assertThrows(FrameException.class, () -> FrameHeader.decode(buf, 100));
        assertEquals(FrameException.Kind.VERSION, e.kind());
        assertEquals("unsupported protocol version 3 (this side speaks up to 2)", e.getMessage());
        assertEquals(0, buf.position());
    }

    @Test
    void sizeAboveTheCapIsRejected() {
        ByteBuffer buf = ByteBuffer.wrap(bytes("02", "ff ff ff ff"));
        FrameException e = assertThrows(FrameException.class,
                () -> FrameHeader.decode(buf, 1 << 20));
        assertEquals(FrameException.Kind.TOO_LARGE, e.kind());
        assertEquals("nv size 4294967295 exceeds the limit of 1048576 bytes", e.getMessage());
        assertEquals(0, buf.position());
    }

    @Test
    void sizeEqualToTheCapIsAccepted() throws FrameException {
        assertEquals(256, FrameHeader.decode(ByteBuffer.wrap(bytes("02", "00 01 00 00")), 256)
                .nvSize());
    }

    @Test
    void truncatedHeaderIsRejected() {
        FrameException e = assertThrows(FrameException.class,
                () -> FrameHeader.decode(ByteBuffer.wrap(bytes("02 00 01 00")), 1000));
        assertEquals(FrameException.Kind.TRUNCATED, e.kind());
        assertEquals("truncated frame header: 4 of 5 bytes", e.getMessage());
    }

    @Test
    void constructorChecksRanges() {
        assertThrows(IllegalArgumentException.class, () -> new FrameHeader(256, 0));
        assertThrows(IllegalArgumentException.class, () -> new FrameHeader(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FrameHeader(2, -1));
    }

    private static byte[] array(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }
}
