package org.hast.nv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;

import org.junit.jupiter.api.Test;

/** Lookups and accessors of a decoded blob (spec §5.4). */
class NvMessageTest {

    private static NvMessage everyType() throws NvFormatException {
        return NvMessage.decode(new NvWriter()
                .addInt8("i8", -5)
                .addUint8("u8", 250)
                .addInt16("i16", -300)
                .addUint16("u16", 65000)
                .addInt32("i32", -70000)
                .addUint32("u32", 4000000000L)
                .addInt64("i64", Long.MIN_VALUE)
                .addUint64("u64", -1L)
                .addInt8Array("ai8", new byte[] {-1, 2})
                .addUint8Array("au8", new byte[] {(byte) 255, 2})
                .addInt16Array("ai16", new short[] {-1, 2})
                .addUint16Array("au16", new short[] {(short) 65535, 2})
                .addInt32Array("ai32", new int[] {-1, 2})
                .addUint32Array("au32", new int[] {-1, 2})
                .addInt64Array("ai64", new long[] {-1, 2})
                .addUint64Array("au64", new long[] {-1, 2})
                .addString("s", "hello")
                .encode());
    }

    @Test
    void anArrayDecodesAsItsBufferDoesAndStaysReadOnly() throws Exception {
        ByteBuffer encoded = new NvWriter().addUint8("cmd", 2).addUint64("seq", 7)
                .addUint8Array("map", new byte[] {1, 2, 3}).addString("errmsg", "x").encode();
        byte[] blob = new byte[encoded.remaining()];
        encoded.duplicate().get(blob);
        NvMessage fromArray = NvMessage.decode(blob);
        NvMessage fromBuffer = NvMessage.decode(encoded);
        assertEquals(fromBuffer.dump(), fromArray.dump());
        assertEquals(blob.length, fromArray.length());
        assertEquals(7, fromArray.getUint64("seq"));
        assertThrows(ReadOnlyBufferException.class, () -> fromArray.getUint8Array("map").put(0, (byte) 9));
        assertThrows(NvFormatException.class, () -> NvMessage.decode(new byte[] {2, 4, 1, 0}));
    }

    @Test
    void typedGettersReturnTheValues() throws NvFormatException {
        NvMessage msg = everyType();
        assertEquals(17, msg.size());
        assertEquals(-5, msg.getInt8("i8"));
        assertEquals(250, msg.getUint8("u8"));
        assertEquals(-300, msg.getInt16("i16"));
        assertEquals(65000, msg.getUint16("u16"));
        assertEquals(-70000, msg.getInt32("i32"));
        assertEquals(4000000000L, msg.getUint32("u32"));
        assertEquals(Long.MIN_VALUE, msg.getInt64("i64"));
        assertEquals(-1L, msg.getUint64("u64"));
        assertEquals("hello", msg.getString("s"));
        assertEquals(0x02ff, msg.getUint8Array("au8").getShort(0) & 0xffff);
        assertEquals(-1, msg.getInt16Array("ai16").getShort(0));
        assertEquals(2, msg.getUint16Array("au16").getShort(2));
        assertEquals(2, msg.getInt32Array("ai32").getInt(4));
        assertEquals(-1, msg.getUint32Array("au32").getInt(0));
        assertEquals(2, msg.getInt64Array("ai64").getLong(8));
        assertEquals(-1, msg.getUint64Array("au64").getLong(0));
        assertEquals(2, msg.getInt8Array("ai8").remaining());
    }

    @Test
    void requireGettersReturnTheSameValues() throws NvFormatException {
        NvMessage msg = everyType();
        assertEquals(-5, msg.requireInt8("i8"));
        assertEquals(250, msg.requireUint8("u8"));
        assertEquals(-300, msg.requireInt16("i16"));
        assertEquals(65000, msg.requireUint16("u16"));
        assertEquals(-70000, msg.requireInt32("i32"));
        assertEquals(4000000000L, msg.requireUint32("u32"));
        assertEquals(Long.MIN_VALUE, msg.requireInt64("i64"));
        assertEquals(-1L, msg.requireUint64("u64"));
        assertEquals("hello", msg.requireString("s"));
        assertEquals(2, msg.requireInt8Array("ai8").remaining());
        assertEquals(2, msg.requireUint8Array("au8").remaining());
        assertEquals(4, msg.requireInt16Array("ai16").remaining());
        assertEquals(4, msg.requireUint16Array("au16").remaining());
        assertEquals(8, msg.requireInt32Array("ai32").remaining());
        assertEquals(8, msg.requireUint32Array("au32").remaining());
        assertEquals(16, msg.requireInt64Array("ai64").remaining());
        assertEquals(16, msg.requireUint64Array("au64").remaining());
    }

    @Test
    void missingFieldIsZeroOrNullAndMissingForRequire() throws NvFormatException {
        NvMessage msg = everyType();
        assertEquals(0, msg.getUint32("nosuch"));
        assertNull(msg.getString("nosuch"));
        assertNull(msg.getUint8Array("nosuch"));
        assertFalse(msg.has("nosuch"));
        assertNull(msg.typeOf("nosuch"));
        NvFormatException e = assertThrows(NvFormatException.class,
                () -> msg.requireUint32("nosuch"));
        assertEquals(NvFormatException.Reason.MISSING, e.reason());
        assertEquals("nv field 'nosuch' is missing", e.getMessage());
    }

    @Test
    void wrongTypeIsZeroOrNullAndWrongTypeForRequire() throws NvFormatException {
        NvMessage msg = everyType();
        assertEquals(0, msg.getUint64("u32"), "uint32 is not read as uint64");
        assertNull(msg.getString("u8"));
        assertNull(msg.getUint8Array("ai8"), "int8 array is not a uint8 array");
        assertTrue(msg.has("u32"));
        assertEquals(NvType.UINT32, msg.typeOf("u32"));
        NvFormatException e = assertThrows(NvFormatException.class,
                () -> msg.requireUint64("u32"));
        assertEquals(NvFormatException.Reason.WRONG_TYPE, e.reason());
        assertEquals("nv field 'u32' is uint32, expected uint64", e.getMessage());
    }

    @Test
    void firstMatchWinsEvenWhenItHasTheWrongType() throws NvFormatException {
        NvMessage msg = NvMessage.decode(new NvWriter()
                .addUint32("x", 1).addUint64("x", 2).addUint32("x", 3).encode());
        assertEquals(1, msg.getUint32("x"));
        assertEquals(0, msg.getUint64("x"), "later duplicates are not considered");
        assertEquals(0, msg.indexOf("x"));
        assertEquals(3, msg.longAt(2));
    }

    @Test
    void namesMatchExactly() throws NvFormatException {
        NvMessage msg = NvMessage.decode(new NvWriter()
                .addString("resource0", "a").addString("resource", "b").encode());
        assertEquals("b", msg.getString("resource"));
        assertEquals("a", msg.getString("resource0"));
        assertNull(msg.getString("resource00"));
        assertNull(msg.getString("Resource"));
    }

    @Test
    void arrayGettersAreReadOnlySlicesOfTheBlob() throws NvFormatException {
        byte[] blob = new NvWriter().addUint8Array("token", new byte[] {1, 2, 3, 4}).toByteArray();
        NvMessage msg = NvMessage.decode(ByteBuffer.wrap(blob));
        ByteBuffer token = msg.getUint8Array("token");
        assertTrue(token.isReadOnly());
        assertEquals(ByteOrder.LITTLE_ENDIAN, token.order());
        assertEquals(4, token.remaining());
        blob[14] = 42; // the first value byte: no copy was made
        assertEquals(42, token.get(0));
        assertThrows(ReadOnlyBufferException.class, () -> token.put(0, (byte) 1));
    }

    @Test
    void decodeReadsFromPositionToLimitAndMovesNothing() throws NvFormatException {
        byte[] nv = new NvWriter().addUint16("port", 8457).toByteArray();
        ByteBuffer buf = ByteBuffer.allocate(nv.length + 10).order(ByteOrder.BIG_ENDIAN);
        buf.position(3);
        buf.put(nv);
        buf.position(3).limit(3 + nv.length);
        NvMessage msg = NvMessage.decode(buf);
        assertEquals(3, buf.position());
        assertEquals(ByteOrder.BIG_ENDIAN, buf.order());
        assertEquals(8457, msg.getUint16("port"), "values are little-endian whatever the order");
    }

    @Test
    void decodeWorksOnDirectBuffers() throws NvFormatException {
        byte[] nv = new NvWriter().addUint64("seq", 77).toByteArray();
        ByteBuffer direct = ByteBuffer.allocateDirect(nv.length);
        direct.put(nv).flip();
        assertEquals(77, NvMessage.decode(direct).getUint64("seq"));
    }

    @Test
    void entriesByPosition() throws NvFormatException {
        NvMessage msg = everyType();
        assertEquals("i8", msg.nameAt(0));
        assertEquals(NvType.INT8, msg.typeAt(0));
        assertEquals(-5, msg.longAt(0));
        assertEquals(250, msg.longAt(1));
        assertEquals(4000000000L, msg.longAt(5));
        assertEquals("hello", msg.stringAt(16));
        assertArrayEquals(new byte[] {'h', 'e', 'l', 'l', 'o', 0}, bytes(msg.payloadAt(16)));
        assertFalse(msg.hostOrderAt(0));
        assertThrows(IllegalArgumentException.class, () -> msg.longAt(16));
        assertThrows(IllegalArgumentException.class, () -> msg.stringAt(0));
        assertThrows(IndexOutOfBoundsException.class, () -> msg.nameAt(17));
        assertThrows(IndexOutOfBoundsException.class, () -> msg.typeAt(-1));
    }

    @Test
    void lengthExcludesTrailingZeros() throws NvFormatException {
        ByteBuffer area = ByteBuffer.allocate(4096);
        new NvWriter().addUint8("a", 1).encodeTo(area);
        NvMessage msg = NvMessage.decode(area.clear());
        assertEquals(22, msg.length());
    }

    @Test
    void dumpFollowsTheReferenceFormat() throws NvFormatException {
        assertEquals(String.join("\n",
                "  i8(int8): -5",
                "  u8(uint8): 250",
                "  i16(int16): -300",
                "  u16(uint16): 65000",
                "  i32(int32): -70000",
                "  u32(uint32): 4000000000",
                "  i64(int64): -9223372036854775808",
                "  u64(uint64): 18446744073709551615",
                "  ai8(int8 array): -1 2",
                "  au8(uint8 array): 255 2",
                "  ai16(int16 array): -1 2",
                "  au16(uint16 array): 65535 2",
                "  ai32(int32 array): -1 2",
                "  au32(uint32 array): 4294967295 2",
                "  ai64(int64 array): -1 2",
                "  au64(uint64 array): 18446744073709551615 2",
                "  s(string): hello",
                ""), everyType().dump());
        assertEquals(everyType().dump(), everyType().toString());
    }

    @Test
    void roundTripThroughRawCopies() throws NvFormatException {
        NvMessage msg = everyType();
        NvWriter copy = new NvWriter();
        for (int i = 0; i < msg.size(); i++) {
            copy.addRaw(msg.typeAt(i), msg.nameAt(i), msg.payloadAt(i));
        }
        assertEquals(msg.dump(), NvMessage.decode(copy.encode()).dump());
        assertEquals(msg.length(), copy.encodedSize());
    }

    private static byte[] bytes(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }
}
