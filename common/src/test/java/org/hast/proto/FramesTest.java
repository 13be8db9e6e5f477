package org.hast.proto;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

class FramesTest {
    private static final int CAP = 1 << 20;

    private static NvWriter write(int seq) {
        return new NvWriter().addUint8("cmd", 2).addUint64("seq", seq).addUint32("size", 4);
    }

    @Test
    void encodePutsTheHeaderBeforeTheNv() {
        NvWriter nv = new NvWriter().addUint8("cmd", 5);
        assertArrayEquals(bytes(
                "02 16 00 00 00",                                  // version 2, nv size 22
                "02 04 01 00 00 00", "63 6d 64 00 00 00 00 00",   // uint8 "cmd"
                "05 00 00 00 00 00 00 00"),                        // 5 (HIO_KEEPALIVE)
                array(Frames.encode(2, nv)));
        assertEquals(27, Frames.frameSize(nv));
    }

    @Test
    void decodeLeavesThePayloadToTheCaller() throws Exception {
        ByteBuffer stream = ByteBuffer.allocate(200).order(ByteOrder.BIG_ENDIAN);
        Frames.encodeTo(stream, 2, write(7));
        stream.put(bytes("de ad be ef"));
        Frames.encodeTo(stream, 1, new NvWriter().addUint8("cmd", 5));
        stream.flip();

        Frame first = Frames.decode(stream, CAP);
        assertEquals(2, first.version());
        assertEquals(7, first.nv().getUint64("seq"));
        assertEquals(4, first.payloadSize());
        assertEquals((byte) 0xde, stream.get());
        stream.position(stream.position() + 3);

        Frame second = Frames.decode(stream, CAP);
        assertEquals(1, second.version());
        assertEquals(0, second.payloadSize(), "no size field: no payload");
        assertEquals(0, stream.remaining());
    }

    @Test
    void truncatedNvIsReportedAndThePositionKept() {
        ByteBuffer whole = Frames.encode(2, write(1));
        ByteBuffer cut = whole.slice(0, whole.remaining() - 1);
        FrameException e = assertThrows(FrameException.class, () -> Frames.decode(cut, CAP));
        assertEquals(FrameException.Kind.TRUNCATED, e.kind());
        assertEquals("truncated frame: nv of 66 bytes announced, 65 present", e.getMessage());
        assertEquals(0, cut.position());
    }

    @Test
    void malformedNvIsAnNvFormatExceptionAndThePositionKept() {
        ByteBuffer buf = ByteBuffer.wrap(bytes("02 08 00 00 00", "02 02 01 00 00 00 61 ff"));
        assertThrows(NvFormatException.class, () -> Frames.decode(buf, CAP));
        assertEquals(0, buf.position());
    }

    @Test
    void capAppliesToTheNvSize() {
        ByteBuffer buf = Frames.encode(2, write(1));
        FrameException e = assertThrows(FrameException.class, () -> Frames.decode(buf, 65));
        assertEquals(FrameException.Kind.TOO_LARGE, e.kind());
    }

    @Test
    void readFromAStream() throws Exception {
        byte[] two = concat(array(Frames.encode(2, write(3))), array(Frames.encode(2,
                new NvWriter().addString("resource0", "test"))));
        ByteArrayInputStream in = new ByteArrayInputStream(two);
        assertEquals(3, Frames.readFrom(in, CAP).nv().getUint64("seq"));
        assertEquals("test", Frames.readFrom(in, CAP).nv().getString("resource0"));
        assertThrows(EOFException.class, () -> Frames.readFrom(in, CAP));
    }

    @Test
    void readFromAStreamThatEndsEarly() {
        byte[] frame = array(Frames.encode(2, write(3)));
        assertThrows(EOFException.class, () -> Frames.readFrom(
                new ByteArrayInputStream(Arrays.copyOf(frame, 3)), CAP));
        assertThrows(EOFException.class, () -> Frames.readFrom(
                new ByteArrayInputStream(Arrays.copyOf(frame, 40)), CAP));
    }

    @Test
    void readFromRejectsAnOversizedHeaderBeforeReadingTheBody() {
        FrameException e = assertThrows(FrameException.class, () -> Frames.readFrom(
                new ByteArrayInputStream(bytes("02 ff ff ff 7f")), CAP));
        assertEquals(FrameException.Kind.TOO_LARGE, e.kind());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] array(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }
}
