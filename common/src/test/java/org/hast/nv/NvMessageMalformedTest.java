package org.hast.nv;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One test per rule of spec §5.3 that makes a receiver reject the whole blob. */
class NvMessageMalformedTest {

    private static String reject(byte[] blob) {
        NvFormatException e = assertThrows(NvFormatException.class,
                () -> NvMessage.decode(ByteBuffer.wrap(blob)));
        assertEquals(NvFormatException.Reason.MALFORMED, e.reason());
        return e.getMessage();
    }

    // rule 2: at least 6 + 2 bytes must remain

    @Test
    void fewerThanEightBytesAfterANonZeroTypeByte() {
        assertEquals("nv entry 0 at offset 0: only 7 bytes left, an entry needs at least 8",
                reject(bytes("02 02 01 00 00 00 61")));
    }

    @Test
    void singleNonZeroByte() {
        assertEquals("nv entry 0 at offset 0: only 1 bytes left, an entry needs at least 8",
                reject(bytes("11")));
    }

    @Test
    void shortTailAfterAValidEntry() {
        assertEquals("nv entry 1 at offset 22: only 4 bytes left, an entry needs at least 8",
                reject(bytes(
                        "02 02 01 00 00 00", "61 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00",
                        "02 02 01 00")));
    }

    // rule 2: the header plus the padded name must fit

    @Test
    void paddedNameRunsPastTheEnd() {
        assertEquals("nv entry 0 at offset 0: name of namesize 9 runs past the end of the blob"
                + " (16 bytes left)", reject(bytes(
                        "11 09 03 00 00 00",          // string, namesize 9 → 16 name bytes needed
                        "72 65 73 6f 75 72 63 65 00", // "resource\0", padding missing
                        "00")));
    }

    // rule 3: name[namesize-1] is NUL and strlen(name) == namesize-1

    @Test
    void namesizeZero() {
        assertEquals("nv entry 0 at offset 0: namesize is 0", reject(bytes(
                "02 00 01 00 00 00", "00 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00")));
    }

    @Test
    void nameNotNulTerminated() {
        assertEquals("nv entry 0 at offset 0: name of namesize 3 is not NUL-terminated",
                reject(bytes(
                        "02 03 01 00 00 00",
                        "61 62 63 00 00 00 00 00",    // "abc": byte namesize-1 is 'c', not NUL
                        "01 00 00 00 00 00 00 00")));
    }

    @Test
    void nameShorterThanNamesize() {
        assertEquals("nv entry 0 at offset 0: name has a NUL at byte 1 but namesize is 4",
                reject(bytes(
                        "02 04 01 00 00 00",
                        "61 00 62 00 00 00 00 00",    // strlen("a") = 1, namesize says 3
                        "01 00 00 00 00 00 00 00")));
    }

    @Test
    void emptyNameWithNamesizeOne() {
        // namesize 1 is a NUL-terminated empty name: the NUL passes, but no entry has an
        // empty name in practice; the reference accepts it and so do we.
        NvMessage ok = assertDecodes(bytes(
                "02 01 01 00 00 00", "00 00 00 00 00 00 00 00", "07 00 00 00 00 00 00 00"));
        assertEquals("", ok.nameAt(0));
        assertEquals(7, ok.getUint8(""));
    }

    // rule 4: type code 1..17

    @Test
    void typeCodeAbove17() {
        assertEquals("nv entry 0 at offset 0 ('a'): unknown type code 18 (type byte 0x12)",
                reject(bytes(
                        "12 02 01 00 00 00", "61 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00")));
    }

    @Test
    void typeCodeZeroWithHostOrderFlag() {
        assertEquals("nv entry 0 at offset 0 ('a'): unknown type code 0 (type byte 0x80)",
                reject(bytes(
                        "80 02 01 00 00 00", "61 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00")));
    }

    @Test
    void typeCode127() {
        assertEquals("nv entry 0 at offset 0 ('a'): unknown type code 127 (type byte 0xff)",
                reject(bytes(
                        "ff 02 01 00 00 00", "61 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00")));
    }

    // rule 5: dsize non-zero and the whole padded entry fits

    @ParameterizedTest
    @EnumSource(NvType.class)
    void dsizeZero(NvType type) {
        byte[] blob = bytes("00 02 00 00 00 00", "61 00 00 00 00 00 00 00");
        blob[0] = (byte) type.code();
        assertEquals("nv entry 0 at offset 0 ('a'): dsize is 0", reject(blob));
    }

    @Test
    void payloadRunsPastTheEnd() {
        assertEquals("nv entry 0 at offset 0 ('a'): uint64 entry of 22 bytes (dsize 8) runs past"
                + " the end of the blob (18 bytes left)", reject(bytes(
                        "08 02 08 00 00 00", "61 00 00 00 00 00 00 00", "01 02 03 04")));
    }

    @Test
    void payloadPaddingMissing() {
        // the value itself is complete, but the reference wants the padded entry in the blob
        assertEquals("nv entry 0 at offset 0 ('a'): uint32 entry of 22 bytes (dsize 4) runs past"
                + " the end of the blob (18 bytes left)", reject(bytes(
                        "06 02 04 00 00 00", "61 00 00 00 00 00 00 00", "00 10 00 00")));
    }

    @Test
    void hugeDsizeIsRejectedWithoutAllocating() {
        assertEquals("nv entry 0 at offset 0 ('a'): uint8 array entry of 4294967310 bytes"
                + " (dsize 4294967295) runs past the end of the blob (22 bytes left)",
                reject(bytes(
                        "0a 02 ff ff ff ff", "61 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00")));
    }

    // rule 6: scalar widths, array element multiples, string termination

    @ParameterizedTest
    @EnumSource(value = NvType.class, names = {"INT8", "UINT8", "INT16", "UINT16", "INT32",
            "UINT32", "INT64", "UINT64"})
    void scalarWithWrongDsize(NvType type) {
        int wrong = type.elementSize() == 8 ? 4 : type.elementSize() * 2;
        byte[] blob = bytes("00 02 00 00 00 00", "61 00 00 00 00 00 00 00",
                "00 00 00 00 00 00 00 00");
        blob[0] = (byte) type.code();
        blob[2] = (byte) wrong;
        assertEquals("nv entry 0 at offset 0 ('a'): dsize " + wrong + " does not match "
                + type.displayName() + " (" + type.elementSize()
                + (type.elementSize() == 1 ? " byte)" : " bytes)"), reject(blob));
    }

    @Test
    void uint32WithDsizeThree() {
        assertEquals("nv entry 1 at offset 22 ('size'): dsize 3 does not match uint32 (4 bytes)",
                reject(bytes(
                        "02 04 01 00 00 00", "63 6d 64 00 00 00 00 00", "02 00 00 00 00 00 00 00",
                        "06 05 03 00 00 00", "73 69 7a 65 00 00 00 00", "00 10 00 00 00 00 00 00")));
    }

    @ParameterizedTest
    @EnumSource(value = NvType.class, names = {"INT16_ARRAY", "UINT16_ARRAY", "INT32_ARRAY",
            "UINT32_ARRAY", "INT64_ARRAY", "UINT64_ARRAY"})
    void arrayDsizeNotAMultipleOfTheElement(NvType type) {
        int wrong = type.elementSize() + 1;
        byte[] blob = bytes("00 02 00 00 00 00", "61 00 00 00 00 00 00 00",
                "00 00 00 00 00 00 00 00", "00 00 00 00 00 00 00 00");
        blob[0] = (byte) type.code();
        blob[2] = (byte) wrong;
        assertEquals("nv entry 0 at offset 0 ('a'): dsize " + wrong + " is not a multiple of the "
                + type.displayName() + " element size " + type.elementSize(), reject(blob));
    }

    @Test
    void byteArraysTakeAnyLength() {
        NvMessage msg = assertDecodes(bytes(
                "09 02 03 00 00 00", "61 00 00 00 00 00 00 00", "ff 00 7f 00 00 00 00 00"));
        assertEquals("  a(int8 array): -1 0 127\n", msg.dump());
    }

    @Test
    void stringNotNulTerminated() {
        assertEquals("nv entry 0 at offset 0 ('s'): string of dsize 2 is not NUL-terminated",
                reject(bytes(
                        "11 02 02 00 00 00", "73 00 00 00 00 00 00 00", "61 62 00 00 00 00 00 00")));
    }

    @Test
    void stringWithEmbeddedNul() {
        assertEquals("nv entry 0 at offset 0 ('s'): string of dsize 3 has a NUL at byte 0",
                reject(bytes(
                        "11 02 03 00 00 00", "73 00 00 00 00 00 00 00", "00 62 00 00 00 00 00 00")));
    }

    @Test
    void nameWithUnprintableBytesIsEscapedInTheMessage() {
        assertEquals("nv entry 0 at offset 0 ('\\x01\\x27'): dsize is 0", reject(bytes(
                "02 03 00 00 00 00", "01 27 00 00 00 00 00 00")));
    }

    // what is accepted (rules 1 and the 0x80 flag)

    @Test
    void emptyBlobIsAnEmptyMessage() {
        NvMessage msg = assertDecodes(new byte[0]);
        assertEquals(0, msg.size());
        assertEquals(0, msg.length());
    }

    @Test
    void zeroTypeByteEndsTheWalkAndTheRestIsIgnored() {
        NvMessage msg = assertDecodes(bytes(
                "02 02 01 00 00 00", "61 00 00 00 00 00 00 00", "01 00 00 00 00 00 00 00",
                "00 ff ff ff ff ff 12 34"));         // garbage after a zero type byte
        assertEquals(1, msg.size());
        assertEquals(22, msg.length());
    }

    @Test
    void hostOrderFlagIsAccepted() {
        NvMessage msg = assertDecodes(bytes(
                "86 02 04 00 00 00", "61 00 00 00 00 00 00 00", "00 10 00 00 00 00 00 00"));
        assertEquals(NvType.UINT32, msg.typeAt(0));
        assertEquals(true, msg.hostOrderAt(0));
        assertEquals(4096, msg.getUint32("a"));
    }

    @Test
    void garbageInNamePaddingIsIgnored() {
        NvMessage msg = assertDecodes(bytes(
                "02 02 01 00 00 00", "61 00 de ad be ef 55 aa", "01 00 00 00 00 00 00 00"));
        assertEquals("a", msg.nameAt(0));
    }

    private static NvMessage assertDecodes(byte[] blob) {
        try {
            return NvMessage.decode(ByteBuffer.wrap(blob));
        } catch (NvFormatException e) {
            throw new AssertionError("unexpected rejection: " + e.getMessage(), e);
        }
    }
}
