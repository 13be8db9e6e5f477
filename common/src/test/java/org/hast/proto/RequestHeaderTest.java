package org.hast.proto;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

/** Request headers (spec §4.4): encodings and the secondary's checks, in order. */
class RequestHeaderTest {
    private static final long DATASIZE = 67104256;
    private static final int SECTOR = 512;
    private static final int MAXPHYS = 1 << 20;

    private static RequestCheck check(NvWriter w) throws Exception {
        return RequestHeader.fromNv(NvMessage.decode(w.encode()))
                .validate(DATASIZE, SECTOR, MAXPHYS);
    }

    private static NvWriter io(int cmd, long seq, long offset, long length) {
        return new NvWriter().addUint8("cmd", cmd).addUint64("seq", seq)
                .addUint64("offset", offset).addUint64("length", length);
    }

    private static void assertInvalid(String message, RequestCheck check) {
        assertInvalid(message, check, null);
    }

    private static void assertInvalid(String message, RequestCheck check, String why) {
        assertEquals(new RequestCheck(RequestCheck.EINVAL, message), check, why);
        assertFalse(check.ok());
        assertEquals(22, check.error());
    }

    @Test
    void keepaliveIsCmdAlone() {
        assertArrayEquals(bytes(
                "02 04 01 00 00 00", "63 6d 64 00 00 00 00 00",   // uint8 "cmd"
                "05 00 00 00 00 00 00 00"),                        // HIO_KEEPALIVE
                RequestHeader.keepalive().toNv().toByteArray());
    }

    @Test
    void writeEncodesTheReferenceFieldsInOrder() throws Exception {
        NvMessage msg = NvMessage.decode(RequestHeader.write(1, 0, 4096, true).toNv().encode());
        assertEquals("  cmd(uint8): 2\n  seq(uint64): 1\n  offset(uint64): 0\n"
                + "  length(uint64): 4096\n  memsync(uint8): 1\n", msg.dump());
        NvMessage plain = NvMessage.decode(RequestHeader.write(1, 0, 4096, false).toNv()
                .encode());
        assertFalse(plain.has("memsync"));
    }

    @Test
    void flushSendsZeroOffsetAndLength() throws Exception {
        NvMessage msg = NvMessage.decode(RequestHeader.flush(5).toNv().encode());
        assertEquals("  cmd(uint8): 4\n  seq(uint64): 5\n  offset(uint64): 0\n"
                + "  length(uint64): 0\n", msg.dump());
    }

    @Test
    void builtHeadersRoundTripAndPass() throws Exception {
        RequestHeader[] all = {
            RequestHeader.read(1, 0, 512),
            RequestHeader.write(-1L, DATASIZE - MAXPHYS, MAXPHYS, true),
            RequestHeader.delete(7, 0, DATASIZE),
            RequestHeader.flush(9),
            RequestHeader.keepalive(),
        };
        for (RequestHeader h : all) {
            RequestHeader back = RequestHeader.fromNv(NvMessage.decode(h.toNv().encode()));
            assertEquals(h, back, h.toString());
            assertEquals(RequestCheck.OK, back.validate(DATASIZE, SECTOR, MAXPHYS));
        }
        assertThrows(IllegalArgumentException.class, () -> RequestHeader.read(0, 0, 512));
    }

    // ---- requnpack, in order --------------------------------------------------------------

    @Test
    void cmdMissingZeroOrMistyped() throws Exception {
        assertInvalid("Header contains no 'cmd' field.", check(new NvWriter()
                .addUint64("seq", 1)));
        assertInvalid("Header contains no 'cmd' field.", check(io(0, 1, 0, 512)));
        assertInvalid("Header contains no 'cmd' field.", check(new NvWriter()
                .addUint16("cmd", 2).addUint64("seq", 1).addUint64("offset", 0)
                .addUint64("length", 512)));
    }

    @Test
    void cmdIsCheckedBeforeSeq() throws Exception {
        assertInvalid("Header contains no 'cmd' field.", check(new NvWriter()));
    }

    @Test
    void seqMissingZeroOrMistyped() throws Exception {
        assertInvalid("Header contains no 'seq' field.", check(new NvWriter()
                .addUint8("cmd", 1).addUint64("offset", 0).addUint64("length", 512)));
        assertInvalid("Header contains no 'seq' field.", check(io(1, 0, 0, 512)));
        assertInvalid("Header contains no 'seq' field.", check(new NvWriter()
                .addUint8("cmd", 4).addInt64("seq", 5)));
    }

    @Test
    void seqIsCheckedBeforeAnUnknownCmd() throws Exception {
        assertInvalid("Header contains no 'seq' field.", check(new NvWriter()
                .addUint8("cmd", 9)));
    }

    @Test
    void keepaliveNeedsNoSeq() throws Exception {
        assertEquals(RequestCheck.OK, check(new NvWriter().addUint8("cmd", 5)));
    }

    @Test
    void flushAndKeepaliveIgnoreOffsetAndLength() throws Exception {
        assertEquals(RequestCheck.OK, check(new NvWriter().addUint8("cmd", 4)
                .addUint64("seq", 3)));
        assertEquals(RequestCheck.OK, check(io(4, 3, 1, Long.MAX_VALUE)));
        assertEquals(RequestCheck.OK, check(io(5, 0, 7, 0)));
    }

    @Test
    void unknownCmdIsEinvalNotACrash() throws Exception {
        for (int cmd : new int[] {6, 7, 128, 255}) {
            assertInvalid("Header contains invalid 'cmd' (" + cmd + ").",
                    check(io(cmd, 1, 0, 512)));
        }
        RequestHeader h = RequestHeader.fromNv(NvMessage.decode(io(200, 3, 0, 512).encode()));
        assertEquals(HioCommand.UNDEF, h.cmd());
        assertEquals(200, h.cmdCode());
        assertEquals(3, h.seq(), "the seq is kept for the EINVAL reply");
    }

    @Test
    void offsetMissingOrMistyped() throws Exception {
        for (int cmd : new int[] {1, 2, 3}) {
            assertInvalid("Header is missing 'offset' field.", check(new NvWriter()
                    .addUint8("cmd", cmd).addUint64("seq", 1).addUint64("length", 512)));
            assertInvalid("Header is missing 'offset' field.", check(new NvWriter()
                    .addUint8("cmd", cmd).addUint64("seq", 1).addInt64("offset", 0)
                    .addUint64("length", 512)));
        }
    }

    @Test
    void offsetIsCheckedBeforeLength() throws Exception {
        assertInvalid("Header is missing 'offset' field.", check(new NvWriter()
                .addUint8("cmd", 1).addUint64("seq", 1)));
    }

    @Test
    void lengthMissingOrMistyped() throws Exception {
        assertInvalid("Header is missing 'length' field.", check(new NvWriter()
                .addUint8("cmd", 2).addUint64("seq", 1).addUint64("offset", 0)));
        assertInvalid("Header is missing 'length' field.", check(new NvWriter()
                .addUint8("cmd", 3).addUint64("seq", 1).addUint64("offset", 0)
                .addUint32("length", 512)));
    }

    @Test
    void lengthZero() throws Exception {
        for (int cmd : new int[] {1, 2, 3}) {
            assertInvalid("Data length is zero.", check(io(cmd, 1, 0, 0)));
        }
    }

    @Test
    void lengthAboveMaxphysExceptForDelete() throws Exception {
        assertEquals(RequestCheck.OK, check(io(1, 1, 0, MAXPHYS)));
        assertInvalid("Data length is too large (1049088 > 1048576).",
                check(io(1, 1, 0, MAXPHYS + 512)));
        assertInvalid("Data length is too large (1049088 > 1048576).",
                check(io(2, 1, 0, MAXPHYS + 512)));
        assertInvalid("Data length is too large (18446744073709551104 > 1048576).",
                check(io(2, 1, 0, -512L)), "compared as unsigned");
        assertEquals(RequestCheck.OK, check(io(3, 1, 0, 4 * MAXPHYS)));
    }

    @Test
    void lengthIsCheckedBeforeAlignment() throws Exception {
        assertInvalid("Data length is too large (1048577 > 1048576).",
                check(io(1, 1, 1, MAXPHYS + 1)));
    }

    @Test
    void offsetNotSectorAligned() throws Exception {
        assertInvalid("Offset 100 is not multiple of sector size.", check(io(1, 1, 100, 512)));
        assertInvalid("Offset 100 is not multiple of sector size.", check(io(1, 1, 100, 3)),
                "offset before length");
    }

    @Test
    void lengthNotSectorAligned() throws Exception {
        assertInvalid("Length 100 is not multiple of sector size.", check(io(2, 1, 512, 100)));
        assertInvalid("Length 513 is not multiple of sector size.", check(io(3, 1, 0, 513)));
    }

    @Test
    void rangePastTheEndOfTheDevice() throws Exception {
        assertEquals(RequestCheck.OK, check(io(1, 1, DATASIZE - 512, 512)));
        assertInvalid("Data offset is too large (67104768 > 67104256).",
                check(io(1, 1, DATASIZE, 512)));
        assertInvalid("Data offset is too large (67108864 > 67104256).",
                check(io(3, 1, 0, 64L << 20)));
    }

    @Test
    void rangeCheckDoesNotWrapAround() throws Exception {
        // 2^64 - 512 + 512 is 0 in C's uint64_t arithmetic; the reference lets it through
        assertInvalid("Data offset is too large (18446744073709551616 > 67104256).",
                check(io(1, 1, -512L, 512)));
        assertInvalid("Data offset is too large (18446744073709551104 > 67104256).",
                check(io(3, 1, -1024L, 512)));
    }

    @Test
    void memsyncIsTheMereExistenceOfTheFieldOnAWrite() throws Exception {
        assertTrue(RequestHeader.fromNv(NvMessage.decode(io(2, 1, 0, 512)
                .addString("memsync", "no").encode())).memsync());
        assertTrue(RequestHeader.fromNv(NvMessage.decode(io(2, 1, 0, 512)
                .addUint8("memsync", 0).encode())).memsync());
        assertFalse(RequestHeader.fromNv(NvMessage.decode(io(1, 1, 0, 512)
                .addUint8("memsync", 1).encode())).memsync(), "only WRITEs take it");
        assertFalse(RequestHeader.fromNv(NvMessage.decode(io(2, 1, 0, 512).encode()))
                .memsync());
    }

    @Test
    void validateRejectsNonsenseLimits() {
        RequestHeader h = RequestHeader.read(1, 0, 512);
        assertThrows(IllegalArgumentException.class, () -> h.validate(DATASIZE, 0, MAXPHYS));
        assertThrows(IllegalArgumentException.class, () -> h.validate(-1, SECTOR, MAXPHYS));
        assertThrows(IllegalArgumentException.class, () -> h.validate(DATASIZE, SECTOR, 0));
    }

    @Test
    void hioCommandCodes() {
        assertEquals(HioCommand.READ, HioCommand.fromCode(1));
        assertEquals(HioCommand.KEEPALIVE, HioCommand.fromCode(5));
        assertEquals(HioCommand.UNDEF, HioCommand.fromCode(0));
        assertEquals(HioCommand.UNDEF, HioCommand.fromCode(6));
        assertEquals(HioCommand.UNDEF, HioCommand.fromCode(-1));
        for (HioCommand c : HioCommand.values()) {
            assertEquals(c, HioCommand.fromCode(c.code()));
        }
    }

    @Test
    void writeRequestProducesTheHeaderObjectsBytes() {
        assertArrayEquals(RequestHeader.write(9, 8192, 4096, true).toNv().toByteArray(),
                RequestHeader.writeRequest(new NvWriter(), HioCommand.WRITE, 9, 8192, 4096, true).toByteArray());
        assertArrayEquals(RequestHeader.read(9, 0, 512).toNv().toByteArray(),
                RequestHeader.writeRequest(new NvWriter(), HioCommand.READ, 9, 0, 512, false).toByteArray());
        assertArrayEquals(RequestHeader.flush(3).toNv().toByteArray(),
                RequestHeader.writeRequest(new NvWriter(), HioCommand.FLUSH, 3, 77, 88, false).toByteArray(),
                "a FLUSH carries offset and length 0 whatever the request says");
        assertThrows(IllegalArgumentException.class,
                () -> RequestHeader.writeRequest(new NvWriter(), HioCommand.WRITE, 0, 0, 512, false));
    }
}
