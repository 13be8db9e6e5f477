package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided input for the handshake (docs/fuzzing.md): a frame from the peer is read
 * as each of the four handshake messages in turn, as both sides do. Only
 * {@link FrameException}, {@link NvFormatException} and {@link ProtocolException} may come
 * out, with one-line messages; every message that is accepted survives encode → decode
 * unchanged.
 */
class HandshakeCoverageFuzzTest {
    /** What the handshake accepts at most for one nv (the largest carries a 4 KiB errmsg). */
    private static final int MAX_NV = 1 << 16;

    @FuzzTest
    void parse(byte[] input) throws Exception {
        Frame frame;
        try {
            frame = Frames.decode(ByteBuffer.wrap(input), MAX_NV);
        } catch (FrameException | NvFormatException e) {
            assertOneLine(e);
            return;
        }
        NvMessage nv = frame.nv();
        try {
            HandshakeFirst first = HandshakeFirst.fromNv(nv);
            assertEquals(first, HandshakeFirst.fromNv(again(first.toNv())));
        } catch (ProtocolException e) {
            assertOneLine(e);
        }
        try {
            HandshakeFirstReply reply = HandshakeFirstReply.fromNv(nv);
            assertEquals(reply, HandshakeFirstReply.fromNv(again(reply.toNv())));
            if (reply instanceof HandshakeTokenReply token) {
                assertEquals(token.version(), HandshakeTokenReply.negotiatedVersion(nv));
            }
        } catch (ProtocolException e) {
            assertOneLine(e);
        }
        try {
            HandshakeSecond second = HandshakeSecond.fromNv(nv);
            assertEquals(second, HandshakeSecond.fromNv(again(second.toNv())));
        } catch (ProtocolException e) {
            assertOneLine(e);
        }
        try {
            HandshakeParams params = HandshakeParams.fromNv(nv);
            assertEquals(params, HandshakeParams.fromNv(again(params.toNv())));
        } catch (ProtocolException e) {
            assertOneLine(e);
        }
    }

    private static NvMessage again(NvWriter writer) throws NvFormatException {
        return NvMessage.decode(writer.encode());
    }

    private static void assertOneLine(Exception e) {
        String message = e.getMessage();
        assertTrue(message != null && !message.isEmpty() && !message.contains("\n"),
                "one-line message: " + message);
    }
}
