package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.proto.PayloadFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.hast.daemon.net.BoundedAllocator;

/**
 * Coverage-guided replication streams through a fresh {@link HastFrameDecoder} on an
 * {@link EmbeddedChannel} (docs/fuzzing.md), fed in pieces whose sizes the input chooses.
 * Only frames within the caps and at most one {@link HastFrameException} may come out;
 * nothing after the exception; no buffer is ever sized beyond the bytes fed
 * ({@link BoundedAllocator}) but a payload's own, from a {@code size} within the payload cap; and once the frames are released and the channel closed, every
 * buffer allocated for the run has been freed (an exact leak check, per input).
 */
class HastFrameDecoderCoverageFuzzTest {
    @FuzzTest
    void decode(FuzzedDataProvider data) {
        boolean tiny = data.consumeBoolean();
        int maxNv = tiny ? data.consumeInt(64, 512) : HastFrameDecoder.DEFAULT_MAX_NV_SIZE;
        int maxPayload = tiny ? data.consumeInt(0, 8192) : HastFrameDecoder.DEFAULT_MAX_PAYLOAD_SIZE;
        Random cuts = new Random(data.consumeLong());
        byte[] stream = data.consumeRemainingAsBytes();

        BoundedAllocator alloc = new BoundedAllocator(Math.max(Math.max(64, 2 * stream.length),
                Math.min(maxPayload, HastFrameDecoder.AHEAD_LIMIT)));
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(new HastFrameDecoder(maxNv, maxPayload));

        List<ByteBuf> pieces = new ArrayList<>();
        boolean failed = false;
        int at = 0;
        while (at < stream.length) {
            int n = Math.min(stream.length - at, 1 + cuts.nextInt(cuts.nextBoolean() ? 8 : 4096));
            ByteBuf piece = alloc.buffer(n).writeBytes(stream, at, n);
            pieces.add(piece);
            at += n;
            try {
                ch.writeInbound(piece);
            } catch (HastFrameException e) {
                assertFalse(failed, "a second error after the first: " + e);
                assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
                failed = true;
            }
            drain(ch, maxNv, maxPayload);
        }
        assertFalse(ch.finish(), "nothing more comes out when the stream ends");
        for (ByteBuf piece : pieces) {
            assertEquals(0, piece.refCnt(), "input released");
        }
        assertEquals(0, alloc.live(), "buffers still allocated after the channel closed");
    }

    /** Takes every frame out, checks it against the caps and releases it. */
    private static void drain(EmbeddedChannel ch, int maxNv, int maxPayload) {
        for (Object o; (o = ch.readInbound()) != null; ) {
            HastFrame frame = assertInstanceOf(HastFrame.class, o);
            try {
                long announced = frame.nv().getUint32(PayloadFields.FIELD_SIZE);
                assertTrue(frame.nv().length() <= maxNv, "nv within its cap");
                assertTrue(frame.version() <= 2, "version " + frame.version());
                assertTrue(announced <= maxPayload, "payload within its cap");
                assertEquals(announced, frame.payload().readableBytes(), "payload as announced");
            } finally {
                frame.release();
            }
        }
    }
}
