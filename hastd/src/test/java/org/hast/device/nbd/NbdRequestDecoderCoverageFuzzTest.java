package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.CMD_DISC;
import static org.hast.device.nbd.NbdProtocol.CMD_WRITE;
import static org.hast.device.nbd.NbdProtocol.MAX_PAYLOAD_BYTES;
import static org.hast.device.nbd.NbdProtocol.REQUEST_HEADER_BYTES;
import static org.hast.device.nbd.NbdProtocol.REQUEST_MAGIC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.daemon.net.BoundedAllocator;
import org.hast.block.InflightBudget;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided transmission-phase streams through {@link NbdRequestDecoder} on an
 * {@link EmbeddedChannel} (docs/fuzzing.md), fed in pieces whose sizes the input chooses. The
 * requests that come out, encoded again, are exactly the bytes they were read from, in order;
 * a WRITE carries exactly its payload and never more than the cap; a bad magic or an
 * oversized WRITE closes the channel and nothing follows it, nor anything after a DISC; no
 * buffer is sized beyond the bytes fed; and every buffer is freed at the end.
 */
class NbdRequestDecoderCoverageFuzzTest {
    @BeforeAll
    static void quiet() {
        // every refused stream is a warning; at thousands of inputs a second they are noise
        ((Logger) LoggerFactory.getLogger(NbdRequestDecoder.class)).setLevel(Level.ERROR);
    }

    @FuzzTest
    void decode(FuzzedDataProvider data) {
        Random cuts = new Random(data.consumeLong());
        byte[] stream = data.consumeRemainingAsBytes();

        // A WRITE whose payload spans reads is gathered into one buffer of its announced size,
        // admitted into the worker's budget first (docs/memory.md); nothing else may be sized
        // from an announced length.
        BoundedAllocator alloc = new BoundedAllocator(Math.max(64, 2 * stream.length), MAX_PAYLOAD_BYTES);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        // Room for every request at once: the budget's waiting is NbdBudgetTest's; here every
        // admitted request gives its bytes back, so the budget ends where it started.
        InflightBudget budget = new InflightBudget(Long.MAX_VALUE / 4);
        ch.pipeline().addLast(new NbdRequestDecoder(budget, () -> { }));

        ByteBuf decoded = Unpooled.buffer();
        boolean ended = false;
        int at = 0;
        while (at < stream.length && ch.isOpen()) {
            int n = Math.min(stream.length - at, 1 + cuts.nextInt(cuts.nextBoolean() ? 8 : 4096));
            ch.writeInbound(alloc.buffer(n).writeBytes(stream, at, n));
            at += n;
            for (Object o; (o = ch.readInbound()) != null; ) {
                NbdRequest r = assertInstanceOf(NbdRequest.class, o);
                assertFalse(ended, "a request after DISC: " + r);
                try {
                    encode(r, decoded);
                } finally {
                    r.releaseBuffer();
                    r.releaseBudget(budget);
                }
                ended = r.type == CMD_DISC;
            }
        }
        byte[] prefix = new byte[decoded.readableBytes()];
        decoded.readBytes(prefix);
        assertArrayEquals(Arrays.copyOf(stream, prefix.length), prefix,
                "the requests are the stream's bytes, in order");
        if (!ended) {
            byte[] rest = Arrays.copyOfRange(stream, prefix.length, stream.length);
            assertEquals(!mustRefuse(rest), ch.isOpen(),
                    "closed exactly when the next request is refused");
        }
        ch.finishAndReleaseAll();
        assertNull(ch.readInbound());
        assertEquals(0, alloc.live(), "buffers still allocated after the channel closed");
    }

    private static void encode(NbdRequest r, ByteBuf out) {
        out.writeInt(REQUEST_MAGIC).writeShort(r.flags).writeShort(r.type).writeLong(r.cookie)
                .writeLong(r.offset).writeInt((int) r.length);
        if (r.type == CMD_WRITE && r.length == 0) {
            assertNull(r.buffer, "an empty WRITE needs no payload buffer (it is answered without I/O)");
        } else if (r.type == CMD_WRITE) {
            assertTrue(r.length <= MAX_PAYLOAD_BYTES, "WRITE of " + r.length);
            assertEquals(r.length, r.buffer.readableBytes(), "the WRITE carries its payload");
            out.writeBytes(r.buffer, r.buffer.readerIndex(), r.buffer.readableBytes());
        } else {
            assertNull(r.buffer, "only a WRITE carries a payload");
        }
    }

    /**
     * Whether what was left over must have been refused: a header with a bad magic or an
     * oversized WRITE (anything shorter is simply waiting for more bytes).
     */
    private static boolean mustRefuse(byte[] rest) {
        if (rest.length < REQUEST_HEADER_BYTES) {
            return false;
        }
        ByteBuf h = Unpooled.wrappedBuffer(rest);
        return h.getInt(0) != REQUEST_MAGIC
                || (h.getUnsignedShort(6) == CMD_WRITE && h.getUnsignedInt(24) > MAX_PAYLOAD_BYTES);
    }
}
