package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.daemon.net.BoundedAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided client bytes through {@link NbdHandshakeHandler} on an
 * {@link EmbeddedChannel} (docs/fuzzing.md), fed in pieces whose sizes the input chooses.
 * The server's output must be the greeting and then, option by option in the order the
 * client sent them, well-formed option replies that name that option and end with an ACK or
 * an error, or the EXPORT_NAME reply; the channel ends closed, still negotiating, or in
 * transmission with the handshake handler gone; and every buffer is freed at the end.
 */
class NbdHandshakeCoverageFuzzTest {
    private static final long SIZE = 1 << 20;
    private static final String NAME = "fuzz";
    /**
     * Option replies are bounded by the export and the 8 KiB option cap; bytes that follow a
     * GO are transmission requests, whose READ buffers are bounded by the payload cap.
     */
    private static final int ALLOCATION_BOUND = MAX_PAYLOAD_BYTES + 1024;

    @BeforeAll
    static void quiet() {
        // every refused input is a warning; at thousands of inputs a second they are noise
        ((Logger) LoggerFactory.getLogger("org.hast.device.nbd")).setLevel(Level.ERROR);
    }

    @FuzzTest
    void negotiate(FuzzedDataProvider data) throws Exception {
        Random cuts = new Random(data.consumeLong());
        byte[] input = data.consumeRemainingAsBytes();

        BoundedAllocator alloc = new BoundedAllocator(ALLOCATION_BOUND);
        EmbeddedChannel ch = new EmbeddedChannel(false, false);
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast("handshake", new NbdHandshakeHandler(new NbdExport(NAME, new ZeroBackend(SIZE))));
        ch.register();

        int at = 0;
        while (at < input.length && ch.isOpen() && ch.pipeline().get(NbdHandshakeHandler.class) != null) {
            int n = Math.min(input.length - at, 1 + cuts.nextInt(cuts.nextBoolean() ? 8 : 1024));
            ch.writeInbound(alloc.buffer(n).writeBytes(input, at, n));
            at += n;
            ch.runPendingTasks();
        }
        ByteBuf out = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = assertInstanceOf(ByteBuf.class, o);
            out.writeBytes(b);
            b.release();
        }
        boolean transmission = checkReplies(out, optionsSent(input));
        if (ch.isOpen()) {
            boolean negotiating = ch.pipeline().get(NbdHandshakeHandler.class) != null;
            assertEquals(transmission, !negotiating, "in transmission exactly after a GO or EXPORT_NAME");
            if (transmission) {
                assertNotNull(ch.pipeline().get(NbdRequestDecoder.class));
            }
        }
        ch.finishAndReleaseAll();
        assertEquals(0, alloc.live(), "buffers still allocated after the channel closed");
    }

    /** The option codes in the client's bytes, in order, as far as they can be told apart. */
    private static List<Integer> optionsSent(byte[] input) {
        List<Integer> codes = new ArrayList<>();
        ByteBuf in = Unpooled.wrappedBuffer(input);
        in.skipBytes(Math.min(4, input.length));
        while (in.readableBytes() >= 16 && in.readLong() == IHAVEOPT) {
            codes.add(in.readInt());
            long length = in.readUnsignedInt();
            in.skipBytes((int) Math.min(length, in.readableBytes()));
        }
        return codes;
    }

    /**
     * Walks the server's output against the options sent; returns whether the last reply
     * took the connection into transmission (anything after that is transmission traffic).
     */
    private static boolean checkReplies(ByteBuf out, List<Integer> options) {
        assertTrue(out.readableBytes() >= 18, "the greeting");
        assertEquals(NBDMAGIC, out.readLong());
        assertEquals(IHAVEOPT, out.readLong());
        out.skipBytes(2);
        int answered = 0;
        while (out.isReadable()) {
            assertTrue(answered < options.size(), "a reply to an option never sent");
            int option = options.get(answered);
            if (option == OPT_EXPORT_NAME) {
                assertTrue(out.readableBytes() >= 10, "the EXPORT_NAME reply");
                assertEquals(SIZE, out.readLong());
                return true;
            }
            assertTrue(out.readableBytes() >= 20, "an option reply header");
            assertEquals(OPTION_REPLY_MAGIC, out.readLong());
            assertEquals(option, out.readInt(), "the reply names the option");
            int type = out.readInt();
            long length = out.readUnsignedInt();
            assertTrue(length <= out.readableBytes(), "reply data is all there");
            out.skipBytes((int) length);
            if (type == REP_ACK || type < 0) {
                answered++;
                if (type == REP_ACK && option == OPT_GO) {
                    return true;
                }
            } else {
                assertTrue(type == REP_SERVER || type == REP_INFO, "reply type " + type);
            }
        }
        return false;
    }
}
