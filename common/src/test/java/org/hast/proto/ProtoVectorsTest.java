package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.WireVectors;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every replication-link message the reference daemons exchanged (vectors/nv/wire_*): read
 * into its message class from the raw capture, each value checked against the reference's
 * {@code nv_dump()}, and written back by {@code toNv()} (plus {@link PayloadFields} where the
 * message announced a payload) to the exact bytes of the zeroed capture, header included.
 */
class ProtoVectorsTest {
    private static final int MAX_NV = 1 << 16;
    /** The sessions' resource: 64 MiB file, 512-byte sectors, MAXPHYS 1 MiB. */
    private static final long DATASIZE = 67104256;
    private static final int SECTOR = 512;
    private static final int MAXPHYS = 1 << 20;

    @TestFactory
    Stream<DynamicTest> everyWireMessage() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Message m : WireVectors.all()) {
            tests.add(DynamicTest.dynamicTest(m.name(), () -> check(m)));
        }
        return tests.stream();
    }

    @Test
    void vectorsCoverEveryKind() {
        Set<String> kinds = new TreeSet<>();
        WireVectors.all().forEach(m -> kinds.add(m.kind()));
        assertEquals(new TreeSet<>(List.of("DELETE", "FLUSH", "KEEPALIVE", "WRITE", "hs_first",
                "hs_out_token_resuid", "hs_reply_params", "hs_reply_token", "reply",
                "reply_error", "reply_memsync_received")), kinds);
        assertEquals(100, WireVectors.all().size(), "5 sessions, header + nv of every message");
    }

    private static void check(Message m) throws Exception {
        ByteBuffer buf = ByteBuffer.wrap(m.raw());
        Frame frame = Frames.decode(buf, MAX_NV);
        assertFalse(buf.hasRemaining());
        assertEquals(m.version(), frame.version());
        NvMessage nv = frame.nv();
        NvWriter rebuilt;
        switch (m.kind()) {
            case "hs_first":
                rebuilt = checkFirst(m, nv);
                break;
            case "hs_reply_token":
                rebuilt = checkTokenReply(m, nv);
                break;
            case "hs_out_token_resuid":
                rebuilt = checkSecond(m, nv);
                break;
            case "hs_reply_params":
                rebuilt = checkParams(m, nv);
                break;
            case "READ": case "WRITE": case "DELETE": case "FLUSH": case "KEEPALIVE":
                rebuilt = checkRequest(m, nv);
                break;
            case "reply": case "reply_memsync_received": case "reply_error":
                rebuilt = checkReply(m, nv);
                break;
            default:
                throw new AssertionError("unknown kind " + m.kind());
        }
        if (nv.has(PayloadFields.FIELD_SIZE)) {
            PayloadFields payload = PayloadFields.fromNv(nv);
            assertEquals(m.payloadSize(), payload.size());
            assertEquals(m.fields().get("compression"), payload.compression());
            assertEquals(m.fields().get("checksum"), payload.checksum());
            if (m.has("hash")) {
                assertArrayEquals(m.bytes("hash"), payload.hash());
            }
            payload.appendTo(rebuilt);
        } else {
            assertEquals(0, m.payloadSize());
        }
        assertArrayEquals(m.expected(), array(Frames.encode(m.version(), rebuilt)),
                "toNv() reproduces the capture byte for byte");
    }

    private static NvWriter checkFirst(Message m, NvMessage nv) throws ProtocolException {
        HandshakeFirst first = HandshakeFirst.fromNv(nv);
        assertEquals(m.field("resource"), first.resource());
        assertEquals(Integer.parseInt(m.field("version")), first.version());
        assertEquals(2, first.negotiatedVersion());
        assertFalse(HandshakeSecond.carriesToken(nv));
        return first.toNv();
    }

    private static NvWriter checkTokenReply(Message m, NvMessage nv) throws ProtocolException {
        HandshakeTokenReply reply = assertInstanceOf(HandshakeTokenReply.class,
                HandshakeFirstReply.fromNv(nv));
        assertEquals(Integer.parseInt(m.field("version")), reply.version());
        assertArrayEquals(m.bytes("token"), reply.token());
        assertEquals(m.version(), reply.version(), "sent with the negotiated version");
        return reply.toNv();
    }

    private static NvWriter checkSecond(Message m, NvMessage nv) throws ProtocolException {
        assertTrue(HandshakeSecond.carriesToken(nv));
        HandshakeSecond second = HandshakeSecond.fromNv(nv);
        assertEquals(m.field("resource"), second.resource());
        assertArrayEquals(m.bytes("token"), second.token());
        assertEquals(m.has("virgin"), second.virgin());
        assertEquals(m.unsigned("resuid"), second.resuid());
        assertEquals(m.unsigned("localcnt"), second.localCnt());
        assertEquals(m.unsigned("remotecnt"), second.remoteCnt());
        return second.toNv();
    }

    private static NvWriter checkParams(Message m, NvMessage nv) throws ProtocolException {
        HandshakeParams params = HandshakeParams.fromNv(nv);
        assertFalse(params.isRefused());
        assertEquals(Long.parseLong(m.field("datasize")), params.dataSize());
        assertEquals(Integer.parseInt(m.field("extentsize")), params.extentSize());
        assertEquals(m.unsigned("localcnt"), params.localCnt());
        assertEquals(m.unsigned("remotecnt"), params.remoteCnt());
        assertEquals(m.has("virgin"), params.virgin());
        assertEquals(SyncSource.fromCode(Integer.parseInt(m.field("syncsrc"))), params.syncSrc());
        assertEquals(Long.parseLong(m.field("mapsize")), params.mapSize());
        return params.toNv();
    }

    private static NvWriter checkRequest(Message m, NvMessage nv) {
        RequestHeader req = RequestHeader.fromNv(nv);
        assertEquals(HioCommand.valueOf(m.kind()), req.cmd());
        assertEquals(Integer.parseInt(m.field("cmd")), req.cmdCode());
        if (req.cmd() == HioCommand.KEEPALIVE) {
            assertEquals(1, m.fields().size(), "a keepalive is cmd alone");
            assertEquals(RequestHeader.keepalive(), req);
        } else {
            assertEquals(m.unsigned("seq"), req.seq());
            assertEquals(m.unsigned("offset"), req.offset());
            assertEquals(m.unsigned("length"), req.length());
        }
        assertEquals(m.has("memsync"), req.memsync());
        assertEquals(RequestCheck.OK, req.validate(DATASIZE, SECTOR, MAXPHYS));
        return req.toNv();
    }

    private static NvWriter checkReply(Message m, NvMessage nv) throws ProtocolException {
        ReplyHeader reply = ReplyHeader.fromNv(nv);
        assertEquals(m.unsigned("seq"), reply.seq());
        assertEquals(m.kind().equals("reply_memsync_received"), reply.received());
        if (m.kind().equals("reply_error")) {
            assertEquals(Integer.parseInt(m.field("error")), reply.error());
            assertEquals(25, reply.error(), "ENOTTY from the file-backed provider");
        } else {
            assertEquals(0, reply.error());
            assertNull(m.fields().get("error"));
        }
        return reply.toNv();
    }

    static byte[] array(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }
}
