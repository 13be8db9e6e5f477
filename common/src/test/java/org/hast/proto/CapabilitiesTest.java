package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.WireVectors;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.Test;

/**
 * The capability field against the reference's captured handshakes: with nothing to offer the
 * step-2 header and the secondary's reply are the captured bytes; the reference offers nothing;
 * and an offer leaves every field the reference reads where a by-name lookup finds it.
 */
class CapabilitiesTest {
    private static final int MAX_NV = 1 << 20;

    private static List<Message> handshakes(String kind) {
        List<Message> found = WireVectors.all().stream().filter(m -> m.kind().equals(kind)).toList();
        assertTrue(!found.isEmpty(), "vectors of kind " + kind);
        return found;
    }

    private static NvMessage decode(Message m) throws Exception {
        return Frames.decode(ByteBuffer.wrap(m.raw()), MAX_NV).nv();
    }

    @Test
    void nothingOfferedIsTheReferencesStepTwoByteForByte() throws Exception {
        for (Message m : handshakes("hs_out_token_resuid")) {
            NvMessage nv = decode(m);
            assertEquals(0, Capabilities.read(nv), "the reference offers nothing: " + m.name());
            NvWriter rebuilt = Capabilities.offer(HandshakeSecond.fromNv(nv).toNv(), 0);
            assertArrayEquals(m.expected(), ProtoVectorsTest.array(Frames.encode(m.version(), rebuilt)), m.name());
        }
    }

    @Test
    void nothingAnsweredIsTheReferencesReplyByteForByte() throws Exception {
        for (Message m : handshakes("hs_reply_params")) {
            NvMessage nv = decode(m);
            assertEquals(0, Capabilities.read(nv), m.name());
            NvWriter rebuilt = Capabilities.offer(HandshakeParams.fromNv(nv).toNv(), 0);
            if (nv.has(PayloadFields.FIELD_SIZE)) {
                PayloadFields.fromNv(nv).appendTo(rebuilt);
            }
            assertArrayEquals(m.expected(), ProtoVectorsTest.array(Frames.encode(m.version(), rebuilt)), m.name());
        }
    }

    @Test
    void anOfferKeepsEveryReferenceFieldReadable() throws Exception {
        for (Message m : handshakes("hs_out_token_resuid")) {
            HandshakeSecond second = HandshakeSecond.fromNv(decode(m));
            NvWriter offered = Capabilities.offer(second.toNv(), Capabilities.HASHES);
            NvMessage back = Frames.decode(Frames.encode(2, offered), MAX_NV).nv();
            assertEquals(second, HandshakeSecond.fromNv(back));
            assertEquals(Capabilities.HASHES, Capabilities.read(back));
        }
        for (Message m : handshakes("hs_reply_params")) {
            NvMessage nv = decode(m);
            HandshakeParams params = HandshakeParams.fromNv(nv);
            NvWriter answered = Capabilities.offer(params.toNv(), Capabilities.HASHES);
            PayloadFields payload = nv.has(PayloadFields.FIELD_SIZE) ? PayloadFields.fromNv(nv) : null;
            if (payload != null) {
                payload.appendTo(answered);
            }
            NvMessage back = Frames.decode(Frames.encode(2, answered), MAX_NV).nv();
            assertEquals(params, HandshakeParams.fromNv(back));
            assertEquals(Capabilities.HASHES, Capabilities.read(back));
            if (payload != null) {
                assertEquals(payload.size(), PayloadFields.fromNv(back).size());
            }
        }
    }

    @Test
    void aFieldOfAnotherTypeOffersNothing() throws Exception {
        NvWriter odd = new NvWriter().addString(Capabilities.FIELD, "1");
        assertEquals(0, Capabilities.read(Frames.decode(Frames.encode(2, odd), MAX_NV).nv()));
    }
}
