package org.hast.nv;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;

import org.hast.proto.Frames;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

class NvWriterTest {

    /** Spec §5.5: handshake step 1 for resource r0, header version 1. */
    @Test
    void workedExampleOfSpec55() {
        byte[] expected = bytes(
                "01 34 00 00 00",                                  // header: version=1, size=0x34 (52)
                "11 09 03 00 00 00",                               // type=17 string, namesize=9, dsize=3
                "72 65 73 6f 75 72 63 65 00  00 00 00 00 00 00 00", // "resource\0" + 7 zero pad
                "72 30 00  00 00 00 00 00",                        // "r0\0" + 5 zero pad
                "02 08 01 00 00 00",                               // type=2 uint8, namesize=8, dsize=1
                "76 65 72 73 69 6f 6e 00",                         // "version\0" (already 8)
                "02  00 00 00 00 00 00 00");                       // value 2 + 7 zero pad
        NvWriter nv = new NvWriter().addString("resource", "r0").addUint8("version", 2);
        assertEquals(52, nv.encodedSize());
        assertArrayEquals(expected, array(Frames.encode(1, nv)));
    }

    /** The same message as the reference sent it for resource "test" (nv/wire_default). */
    @Test
    void workedExampleMatchesReferenceCapture() throws Exception {
        byte[] captured = Files.readAllBytes(Requirements.vector(
                "nv/wire_default/c0_37144_to_8458_m00_hs_first.zeroed.bin"));
        NvWriter nv = new NvWriter().addString("resource", "test").addUint8("version", 2);
        assertArrayEquals(captured, array(Frames.encode(1, nv)));
    }

    @Test
    void scalarsAreLittleEndianWithZeroPadding() {
        NvWriter nv = new NvWriter()
                .addInt8("a", -2)
                .addUint16("b", 0xbeef)
                .addInt32("c", -2)
                .addUint64("d", 0x0102030405060708L);
        assertArrayEquals(bytes(
                "01 02 01 00 00 00", "61 00 00 00 00 00 00 00", "fe 00 00 00 00 00 00 00",
                "04 02 02 00 00 00", "62 00 00 00 00 00 00 00", "ef be 00 00 00 00 00 00",
                "05 02 04 00 00 00", "63 00 00 00 00 00 00 00", "fe ff ff ff 00 00 00 00",
                "08 02 08 00 00 00", "64 00 00 00 00 00 00 00", "08 07 06 05 04 03 02 01"),
                nv.toByteArray());
    }

    @Test
    void everyScalarTypeCode() {
        NvWriter nv = new NvWriter().addInt8("x", 0).addUint8("x", 0).addInt16("x", 0)
                .addUint16("x", 0).addInt32("x", 0).addUint32("x", 0).addInt64("x", 0)
                .addUint64("x", 0);
        byte[] blob = nv.toByteArray();
        for (int i = 0; i < 8; i++) {
            assertEquals(i + 1, blob[i * 22], "type byte of entry " + i);
            assertEquals(i < 2 ? 1 : i < 4 ? 2 : i < 6 ? 4 : 8, blob[i * 22 + 2]);
        }
    }

    @Test
    void arraysCarryElementsLittleEndian() {
        NvWriter nv = new NvWriter()
                .addUint8Array("h", new byte[] {1, 2, 3})
                .addInt16Array("s", new short[] {-1, 0x1234})
                .addUint32Array("w", new int[] {0x01020304})
                .addInt64Array("q", new long[] {-1L});
        assertArrayEquals(bytes(
                "0a 02 03 00 00 00", "68 00 00 00 00 00 00 00", "01 02 03 00 00 00 00 00",
                "0b 02 04 00 00 00", "73 00 00 00 00 00 00 00", "ff ff 34 12 00 00 00 00",
                "0e 02 04 00 00 00", "77 00 00 00 00 00 00 00", "04 03 02 01 00 00 00 00",
                "0f 02 08 00 00 00", "71 00 00 00 00 00 00 00", "ff ff ff ff ff ff ff ff"),
                nv.toByteArray());
    }

    @Test
    void everyArrayTypeCode() {
        NvWriter nv = new NvWriter()
                .addInt8Array("x", new byte[1]).addUint8Array("x", new byte[1])
                .addInt16Array("x", new short[1]).addUint16Array("x", new short[1])
                .addInt32Array("x", new int[1]).addUint32Array("x", new int[1])
                .addInt64Array("x", new long[1]).addUint64Array("x", new long[1]);
        byte[] blob = nv.toByteArray();
        for (int i = 0; i < 8; i++) {
            assertEquals(9 + i, blob[i * 22], "type byte of entry " + i);
        }
    }

    @Test
    void uint8ArrayFromBufferLeavesItsPositionAlone() {
        ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 8, 7, 6});
        src.position(1);
        NvWriter nv = new NvWriter().addUint8Array("m", src);
        assertEquals(1, src.position());
        assertArrayEquals(bytes("0a 02 03 00 00 00", "6d 00 00 00 00 00 00 00",
                "08 07 06 00 00 00 00 00"), nv.toByteArray());
    }

    @Test
    void emptyStringHasDsizeOne() {
        assertArrayEquals(bytes("11 02 01 00 00 00", "73 00 00 00 00 00 00 00",
                "00 00 00 00 00 00 00 00"), new NvWriter().addString("s", "").toByteArray());
    }

    @Test
    void stringIsUtf8() {
        byte[] blob = new NvWriter().addString("s", "é").toByteArray();
        assertEquals(3, blob[2]);
        assertEquals((byte) 0xc3, blob[14]);
        assertEquals((byte) 0xa9, blob[15]);
        assertEquals(0, blob[16]);
    }

    @Test
    void longestNameIs254Bytes() {
        String name = "n".repeat(254);
        byte[] blob = new NvWriter().addUint8(name, 1).toByteArray();
        assertEquals((byte) 255, blob[1]);
        assertEquals(6 + 256 + 8, blob.length);
        assertThrows(IllegalArgumentException.class,
                () -> new NvWriter().addUint8("n".repeat(255), 1));
    }

    @Test
    void badNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new NvWriter().addUint8("", 1));
        assertThrows(IllegalArgumentException.class, () -> new NvWriter().addUint8("a\0b", 1));
        assertThrows(IllegalArgumentException.class,
                () -> new NvWriter().addUint8("é".repeat(128), 1)); // 256 UTF-8 bytes
    }

    @Test
    void stringWithNulIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new NvWriter().addString("s", "a\0"));
    }

    @Test
    void emptyArraysAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new NvWriter().addUint8Array("a", new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new NvWriter().addUint64Array("a", new long[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new NvWriter().addUint8Array("a", ByteBuffer.allocate(0)));
    }

    @Test
    void outOfRangeScalarsAreRejected() {
        NvWriter nv = new NvWriter();
        assertThrows(IllegalArgumentException.class, () -> nv.addInt8("x", 128));
        assertThrows(IllegalArgumentException.class, () -> nv.addInt8("x", -129));
        assertThrows(IllegalArgumentException.class, () -> nv.addUint8("x", 256));
        assertThrows(IllegalArgumentException.class, () -> nv.addUint8("x", -1));
        assertThrows(IllegalArgumentException.class, () -> nv.addInt16("x", 32768));
        assertThrows(IllegalArgumentException.class, () -> nv.addUint16("x", 65536));
        assertThrows(IllegalArgumentException.class, () -> nv.addUint32("x", 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> nv.addUint32("x", -1));
        assertEquals(0, nv.count(), "a rejected add leaves nothing behind");
        assertEquals(0, nv.encodedSize());
    }

    @Test
    void rawPayloadIsCheckedLikeTheReader() {
        NvWriter nv = new NvWriter();
        assertThrows(IllegalArgumentException.class,
                () -> nv.addRaw(NvType.UINT32, "x", ByteBuffer.allocate(3)));
        assertThrows(IllegalArgumentException.class,
                () -> nv.addRaw(NvType.INT16_ARRAY, "x", ByteBuffer.allocate(3)));
        assertThrows(IllegalArgumentException.class,
                () -> nv.addRaw(NvType.STRING, "x", ByteBuffer.wrap(new byte[] {'a'})));
        assertThrows(IllegalArgumentException.class,
                () -> nv.addRaw(NvType.STRING, "x", ByteBuffer.wrap(new byte[] {0, 0})));
        assertThrows(IllegalArgumentException.class,
                () -> nv.addRaw(NvType.UINT8_ARRAY, "x", ByteBuffer.allocate(0)));
        nv.addRaw(NvType.STRING, "x", ByteBuffer.wrap(new byte[] {'a', 0}));
        assertArrayEquals(new NvWriter().addString("x", "a").toByteArray(), nv.toByteArray());
    }

    @Test
    void encodeToIgnoresTheTargetsByteOrder() {
        NvWriter nv = new NvWriter().addUint32("size", 4096);
        ByteBuffer big = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
        big.put((byte) 0x55);
        nv.encodeTo(big);
        assertEquals(1 + nv.encodedSize(), big.position());
        assertArrayEquals(nv.toByteArray(), java.util.Arrays.copyOfRange(big.array(), 1,
                big.position()));
        assertThrows(BufferOverflowException.class, () -> nv.encodeTo(ByteBuffer.allocate(3)));
    }

    @Test
    void encodeGivesALittleEndianBufferAtPositionZero() {
        ByteBuffer buf = new NvWriter().addUint8("cmd", 5).encode();
        assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
        assertEquals(0, buf.position());
        assertEquals(22, buf.limit());
    }

    @Test
    void clearAllowsReuseAndStillZeroesPadding() {
        NvWriter nv = new NvWriter(8).addString("longname", "xxxxxxxxxxxxx");
        nv.clear().addUint8("a", 1);
        assertArrayEquals(bytes("02 02 01 00 00 00", "61 00 00 00 00 00 00 00",
                "01 00 00 00 00 00 00 00"), nv.toByteArray());
        assertEquals(1, nv.count());
    }

    @Test
    void growsFromZeroCapacity() throws NvFormatException {
        NvWriter nv = new NvWriter(0);
        for (int i = 0; i < 1000; i++) {
            nv.addUint64("resuid" + i, i);
        }
        assertEquals(1000, nv.count());
        // "resuid0".."resuid9" pad their name to 8 bytes, the others to 16
        assertEquals(10 * 22 + 990 * 30, nv.encodedSize());
        NvMessage msg = NvMessage.decode(nv.encode());
        assertEquals(1000, msg.size());
        assertEquals(999, msg.getUint64("resuid999"));
    }

    private static byte[] array(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }
}
