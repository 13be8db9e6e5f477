package org.hast.proto;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

/** Handshake messages of spec §4.3 built by hand: encodings and every refusal. */
class HandshakeTest {
    private static final byte[] TOKEN = bytes("e0 13 b2 0d 98 6e be bd 24 9c 7d ce c1 5f 10 af");

    static NvMessage nv(NvWriter w) throws Exception {
        return NvMessage.decode(w.encode());
    }

    // ---- step 1 -----------------------------------------------------------------------------

    @Test
    void firstMatchesTheWorkedExampleOfSection55() {
        assertArrayEquals(bytes(
                "01 34 00 00 00",                                   // version 1, nv size 52
                "11 09 03 00 00 00",                                // string, namesize 9, dsize 3
                "72 65 73 6f 75 72 63 65 00 00 00 00 00 00 00 00",  // "resource\0" + 7 pad
                "72 30 00 00 00 00 00 00",                          // "r0\0" + 5 pad
                "02 08 01 00 00 00",                                // uint8, namesize 8, dsize 1
                "76 65 72 73 69 6f 6e 00",                          // "version\0"
                "02 00 00 00 00 00 00 00"),                         // 2 + 7 pad
                ProtoVectorsTest.array(Frames.encode(1, HandshakeFirst.of("r0").toNv())));
    }

    @Test
    void firstVersionMissingZeroOrMistypedMeansOne() throws Exception {
        assertEquals(1, HandshakeFirst.fromNv(nv(new NvWriter().addString("resource", "r")))
                .version());
        assertEquals(1, HandshakeFirst.fromNv(nv(new NvWriter().addString("resource", "r")
                .addUint8("version", 0))).version());
        assertEquals(1, HandshakeFirst.fromNv(nv(new NvWriter().addString("resource", "r")
                .addUint32("version", 2))).version());
    }

    @Test
    void firstWithAHigherVersionIsNegotiatedDownNotRefused() throws Exception {
        HandshakeFirst first = HandshakeFirst.fromNv(nv(new NvWriter()
                .addString("resource", "r").addUint8("version", 7)));
        assertEquals(7, first.version());
        assertEquals(2, first.negotiatedVersion());
        assertEquals(1, new HandshakeFirst("r", 1).negotiatedVersion());
    }

    @Test
    void firstNeedsAResourceString() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeFirst.fromNv(nv(new NvWriter().addUint8("version", 2))));
        assertEquals("No 'resource' field in the header.", e.getMessage());
        assertThrows(ProtocolException.class, () -> HandshakeFirst.fromNv(nv(new NvWriter()
                .addUint8("resource", 1).addUint8("version", 2))));
    }

    @Test
    void firstRejectsAnImpossibleVersion() {
        assertThrows(IllegalArgumentException.class, () -> new HandshakeFirst("r", 0));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeFirst("r", 256));
    }

    // ---- step 1 reply -----------------------------------------------------------------------

    @Test
    void tokenReplyEncodesVersionThenToken() throws Exception {
        HandshakeTokenReply reply = new HandshakeTokenReply(2, TOKEN);
        assertArrayEquals(bytes(
                "02 08 01 00 00 00", "76 65 72 73 69 6f 6e 00",    // uint8 "version"
                "02 00 00 00 00 00 00 00",                         // 2
                "0a 06 10 00 00 00", "74 6f 6b 65 6e 00 00 00",    // uint8[16] "token"
                "e0 13 b2 0d 98 6e be bd 24 9c 7d ce c1 5f 10 af"),
                reply.toNv().toByteArray());
        assertEquals(reply, HandshakeFirstReply.fromNv(nv(reply.toNv())));
        assertTrue(reply.tokenEquals(TOKEN.clone()));
        assertFalse(reply.tokenEquals(new byte[16]));
        assertFalse(reply.tokenEquals(null));
    }

    @Test
    void tokenReplyVersionMissingOrZeroIsOne() throws Exception {
        assertEquals(1, HandshakeTokenReply.fromNv(nv(new NvWriter()
                .addUint8Array("token", TOKEN))).version());
        assertEquals(1, HandshakeTokenReply.fromNv(nv(new NvWriter().addUint8("version", 0)
                .addUint8Array("token", TOKEN))).version());
    }

    @Test
    void tokenReplyVersionAboveTwoIsRefused() throws Exception {
        NvMessage msg = nv(new NvWriter().addUint8("version", 3).addUint8Array("token", TOKEN));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeTokenReply.fromNv(msg));
        assertEquals("Invalid version received (3).", e.getMessage());
        assertThrows(ProtocolException.class, () -> HandshakeTokenReply.negotiatedVersion(msg));
    }

    @Test
    void tokenReplyVersionIsKnownBeforeTheTokenIsChecked() throws Exception {
        NvMessage msg = nv(new NvWriter().addUint8("version", 1));
        assertEquals(1, HandshakeTokenReply.negotiatedVersion(msg));
        assertThrows(ProtocolException.class, () -> HandshakeTokenReply.fromNv(msg));
    }

    @Test
    void tokenReplyNeedsASixteenByteUint8Token() throws Exception {
        ProtocolException missing = assertThrows(ProtocolException.class,
                () -> HandshakeTokenReply.fromNv(nv(new NvWriter().addUint8("version", 2))));
        assertEquals("Handshake header has no 'token' field.", missing.getMessage());

        ProtocolException mistyped = assertThrows(ProtocolException.class,
                () -> HandshakeTokenReply.fromNv(nv(new NvWriter().addUint8("version", 2)
                        .addInt8Array("token", TOKEN))));
        assertEquals("Handshake header has no 'token' field.", mistyped.getMessage());

        for (int size : new int[] {1, 15, 17, 32}) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> HandshakeTokenReply.fromNv(nv(new NvWriter().addUint8("version", 2)
                            .addUint8Array("token", new byte[size]))));
            assertEquals("Handshake header contains 'token' of wrong size (got " + size
                    + ", expected 16).", e.getMessage());
        }
    }

    @Test
    void tokenReplyRejectsBadValuesWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new HandshakeTokenReply(3, TOKEN));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeTokenReply(0, TOKEN));
        assertThrows(IllegalArgumentException.class,
                () -> new HandshakeTokenReply(2, new byte[15]));
    }

    @Test
    void tokenIsCopiedInAndOut() {
        byte[] token = TOKEN.clone();
        HandshakeTokenReply reply = new HandshakeTokenReply(2, token);
        token[0] = 0;
        reply.token()[1] = 0;
        assertArrayEquals(TOKEN, reply.token());
    }

    // ---- step 1 error reply -----------------------------------------------------------------

    @Test
    void errorReplyEncodesErrmsgThenWait() throws Exception {
        HandshakeError error = new HandshakeError("Remote node acts as primary for the resource"
                + " and not as secondary.", true);
        NvMessage msg = nv(error.toNv());
        assertEquals(2, msg.size());
        assertEquals("errmsg", msg.nameAt(0));
        assertEquals("wait", msg.nameAt(1));
        assertEquals(1, msg.getUint8("wait"));
        assertEquals(error, HandshakeFirstReply.fromNv(msg));
        assertEquals(1, nv(new HandshakeError("Token doesn't match.", false).toNv()).size());
    }

    @Test
    void errorIsRecognisedBeforeAnythingElse() throws Exception {
        // an errmsg wins even when a valid version and token are there too
        HandshakeFirstReply reply = HandshakeFirstReply.fromNv(nv(new NvWriter()
                .addUint8("version", 2).addUint8Array("token", TOKEN)
                .addString("errmsg", "Resource not configured.")));
        HandshakeError error = assertInstanceOf(HandshakeError.class, reply);
        assertEquals("Resource not configured.", error.errmsg());
        assertFalse(error.shouldWait());
    }

    @Test
    void waitCountsWhateverItsType() throws Exception {
        HandshakeError error = HandshakeError.fromNv(nv(new NvWriter()
                .addString("errmsg", "busy").addString("wait", "yes")));
        assertTrue(error.shouldWait());
    }

    @Test
    void errmsgOfAnotherTypeIsNotAnError() throws Exception {
        NvMessage msg = nv(new NvWriter().addUint8("errmsg", 1).addUint8("version", 2));
        assertFalse(HandshakeError.isError(msg));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeFirstReply.fromNv(msg));
        assertEquals("Handshake header has no 'token' field.", e.getMessage());
        assertThrows(ProtocolException.class, () -> HandshakeError.fromNv(msg));
    }

    // ---- step 2 -----------------------------------------------------------------------------

    private static NvWriter second(String skip) {
        NvWriter w = new NvWriter();
        if (!skip.equals("resource")) {
            w.addString("resource", "test");
        }
        if (!skip.equals("token")) {
            w.addUint8Array("token", TOKEN);
        }
        if (!skip.equals("resuid")) {
            w.addUint64("resuid", 0xe742_5f39_1a1b_c021L);
        }
        if (!skip.equals("localcnt")) {
            w.addUint64("localcnt", 1);
        }
        if (!skip.equals("remotecnt")) {
            w.addUint64("remotecnt", 0);
        }
        return w;
    }

    @Test
    void secondRoundTripsWithAndWithoutVirgin() throws Exception {
        for (boolean virgin : new boolean[] {false, true}) {
            HandshakeSecond s = new HandshakeSecond("test", TOKEN, virgin, -1L, -2L, 3);
            NvMessage msg = nv(s.toNv());
            assertEquals(virgin ? 6 : 5, msg.size());
            assertEquals(s, HandshakeSecond.fromNv(msg));
            assertEquals(virgin, msg.has("virgin"));
        }
        HandshakeSecond parsed = HandshakeSecond.fromNv(nv(second("")));
        assertEquals(0xe742_5f39_1a1b_c021L, parsed.resuid());
        assertFalse(parsed.virgin());
        assertEquals(1, parsed.localCnt());
    }

    @Test
    void secondFieldOrderIsTheReferences() throws Exception {
        NvMessage msg = nv(new HandshakeSecond("test", TOKEN, true, 5, 6, 7).toNv());
        String[] names = new String[msg.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = msg.nameAt(i);
        }
        assertArrayEquals(new String[] {"resource", "token", "virgin", "resuid", "localcnt",
                "remotecnt"}, names);
    }

    @Test
    void secondVirginCountsWhateverItsType() throws Exception {
        assertTrue(HandshakeSecond.fromNv(nv(second("").addString("virgin", "x"))).virgin());
    }

    @Test
    void secondRefusals() throws Exception {
        expectRefusal(second("resource"), "No 'resource' field in the header.");
        expectRefusal(second("token"), "Handshake header has no 'token' field.");
        expectRefusal(second("resuid"), "Header has no 'resuid' field.");
        expectRefusal(second("localcnt"), "Header has no 'localcnt' field.");
        expectRefusal(second("remotecnt"), "Header has no 'remotecnt' field.");
        expectRefusal(second("resuid").addInt64("resuid", 5),
                "Header field 'resuid' is int64, expected uint64.");
        expectRefusal(second("remotecnt").addUint32("remotecnt", 5),
                "Header field 'remotecnt' is uint32, expected uint64.");
        expectRefusal(second("token").addUint8Array("token", new byte[8]),
                "Handshake header contains 'token' of wrong size (got 8, expected 16).");
        expectRefusal(second("resuid").addUint64("resuid", 0),
                "Handshake header carries resource unique ID 0.");
    }

    private static void expectRefusal(NvWriter w, String message) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeSecond.fromNv(nv(w)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void carriesTokenTellsTheTwoConnectionsApart() throws Exception {
        assertTrue(HandshakeSecond.carriesToken(nv(second(""))));
        assertTrue(HandshakeSecond.carriesToken(nv(new NvWriter()
                .addUint8Array("token", new byte[3]))), "wrong size is step 2, refused later");
        assertFalse(HandshakeSecond.carriesToken(nv(HandshakeFirst.of("test").toNv())));
        assertFalse(HandshakeSecond.carriesToken(nv(new NvWriter()
                .addInt8Array("token", TOKEN))), "a token of another type reads as absent");
    }

    @Test
    void secondRejectsResuidZeroWhenBuilt() {
        assertThrows(IllegalArgumentException.class,
                () -> new HandshakeSecond("test", TOKEN, false, 0, 0, 0));
        assertNotEquals(new HandshakeSecond("t", TOKEN, false, 1, 0, 0),
                new HandshakeSecond("t", new byte[16], false, 1, 0, 0));
    }

    // ---- step 2 reply -----------------------------------------------------------------------

    private static NvWriter params(String skip) {
        NvWriter w = new NvWriter();
        if (!skip.equals("datasize")) {
            w.addInt64("datasize", 67104256);
        }
        if (!skip.equals("extentsize")) {
            w.addInt32("extentsize", 2097152);
        }
        if (!skip.equals("localcnt")) {
            w.addUint64("localcnt", 0);
        }
        if (!skip.equals("remotecnt")) {
            w.addUint64("remotecnt", 0);
        }
        if (!skip.equals("syncsrc")) {
            w.addUint8("syncsrc", 1);
        }
        if (!skip.equals("mapsize")) {
            w.addUint32("mapsize", 0);
        }
        return w;
    }

    @Test
    void paramsAcceptedRoundTrip() throws Exception {
        HandshakeParams p = HandshakeParams.accepted(67104256, 65536, 1, 0, false,
                SyncSource.SECONDARY, 512);
        assertEquals(p, HandshakeParams.fromNv(nv(p.toNv())));
        HandshakeParams v = HandshakeParams.accepted(1, 2, 3, 4, true, SyncSource.PRIMARY,
                0xffff_ffffL);
        assertEquals(v, HandshakeParams.fromNv(nv(v.toNv())));
        assertFalse(v.isRefused());
        assertFalse(v.isSplitBrain());
    }

    @Test
    void paramsRefusalCarriesTheFourCountersThenErrmsg() throws Exception {
        HandshakeParams p = HandshakeParams.refused(67104256, 2097152, 1, 0,
                HandshakeParams.SPLIT_BRAIN);
        NvMessage msg = nv(p.toNv());
        assertEquals(5, msg.size());
        assertEquals("errmsg", msg.nameAt(4));
        HandshakeParams back = HandshakeParams.fromNv(msg);
        assertEquals(p, back);
        assertTrue(back.isRefused());
        assertTrue(back.isSplitBrain());
        assertEquals(SyncSource.UNDEF, back.syncSrc());
    }

    @Test
    void paramsRefusalIsReadEvenWithoutTheCounters() throws Exception {
        HandshakeParams p = HandshakeParams.fromNv(nv(new NvWriter()
                .addString("errmsg", "Resource unique ID mismatch (primary=1, secondary=2).")));
        assertTrue(p.isRefused());
        assertFalse(p.isSplitBrain());
        assertEquals(0, p.dataSize());
    }

    @Test
    void paramsVirginCountsWhateverItsType() throws Exception {
        assertTrue(HandshakeParams.fromNv(nv(params("").addUint64("virgin", 9))).virgin());
        assertFalse(HandshakeParams.fromNv(nv(params(""))).virgin());
    }

    @Test
    void paramsRefusals() {
        for (String field : new String[] {"datasize", "extentsize", "localcnt", "remotecnt",
            "syncsrc", "mapsize"}) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> HandshakeParams.fromNv(nv(params(field))));
            assertEquals("Header has no '" + field + "' field.", e.getMessage());
        }
        expectParamsRefusal(params("datasize").addUint64("datasize", 1),
                "Header field 'datasize' is uint64, expected int64.");
        expectParamsRefusal(params("extentsize").addUint32("extentsize", 1),
                "Header field 'extentsize' is uint32, expected int32.");
        expectParamsRefusal(params("mapsize").addUint64("mapsize", 1),
                "Header field 'mapsize' is uint64, expected uint32.");
        expectParamsRefusal(params("syncsrc").addUint8("syncsrc", 0),
                "Header contains invalid 'syncsrc' (0).");
        expectParamsRefusal(params("syncsrc").addUint8("syncsrc", 3),
                "Header contains invalid 'syncsrc' (3).");
    }

    private static void expectParamsRefusal(NvWriter w, String message) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeParams.fromNv(nv(w)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void paramsInvariantsWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> HandshakeParams.accepted(1, 1, 0, 0,
                false, SyncSource.UNDEF, 0));
        assertThrows(IllegalArgumentException.class, () -> HandshakeParams.accepted(1, 1, 0, 0,
                false, SyncSource.PRIMARY, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new HandshakeParams(1, 1, 0, 0,
                true, SyncSource.UNDEF, 0, "x"));
        assertThrows(NullPointerException.class, () -> HandshakeParams.refused(1, 1, 0, 0,
                null));
    }

    @Test
    void paramsLeavePayloadFieldsToThePayloadStage() throws Exception {
        NvWriter w = HandshakeParams.accepted(67104256, 65536, 0, 0, false,
                SyncSource.PRIMARY, 512).toNv();
        new PayloadFields("hole", null, null, 4).appendTo(w);
        NvMessage msg = nv(w);
        assertEquals("mapsize", msg.nameAt(5));
        assertEquals("compression", msg.nameAt(6));
        assertEquals("size", msg.nameAt(7));
        assertEquals(512, HandshakeParams.fromNv(msg).mapSize());
        assertEquals(4, PayloadFields.fromNv(msg).size());
    }
}
