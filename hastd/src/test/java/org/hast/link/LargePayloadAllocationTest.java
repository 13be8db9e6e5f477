package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.hast.nv.NvWriter;
import org.hast.testing.InPlaceReads;
import org.hast.testing.NettyThread;
import org.hast.testing.ThreadAllocation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;

/**
 * Issue #15: a replicated write's 128 KiB payload, its first bytes in the read that brings the
 * header and the rest read in place, allocates next to nothing on the secondary's loop once
 * its buffer is kept: the payload object comes back with its memory and the read is lent the
 * payload itself. On the build before, 200 bytes per frame (the payload's {@code ByteBuf}, count
 * and view, and a slice lent per read). The exact per-thread counter, no timing.
 */
class LargePayloadAllocationTest {
    private static final int PAYLOAD = 128 << 10;
    /** Payload bytes in the read that brings the header; the rest is read in place. */
    private static final int FIRST = 1000;
    private static final int FRAMES = 2000;

    @Test
    void aLargePayloadReadInPlaceAllocatesNextToNothing() throws Throwable {
        Assumptions.assumeTrue(ThreadAllocation.supported(), "no per-thread allocation counter in this JVM");
        // A Netty thread, as the event loop is: Netty recycles its objects only there.
        NettyThread.run("link-alloc", LargePayloadAllocationTest::measure);
    }

    private static void measure() throws Exception {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        // The leak detector's records (a stack trace per access to a tracked buffer) would be
        // all that is measured: off before the test's buffers and the pool's are made.
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        Receiver receiver = new Receiver();
        HastFrameDecoder decoder = new HastFrameDecoder(64 * 1024, HastFrameDecoder.AHEAD_LIMIT);
        decoder.reuseFrames(); // as the secondary's receiver asks
        EmbeddedChannel ch = new EmbeddedChannel(decoder, receiver);
        ByteBuf data = InPlaceReads.patterned(PAYLOAD);
        NvWriter nv = new NvWriter().addUint8("cmd", 2).addUint64("seq", 1).addUint32("size", PAYLOAD);
        ByteBuf header = HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 2, nv);
        ByteBuf head = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(header).writeBytes(data, 0, FIRST);
        header.release();
        try {
            frames(ch, decoder, head, data, FRAMES); // warm-up
            long least = ThreadAllocation.leastOf(5, () -> frames(ch, decoder, head, data, FRAMES));
            assertEquals(6L * FRAMES, receiver.frames);
            assertEquals(0, receiver.wrongBytes, "each payload carried its own bytes");
            assertEquals(6L * FRAMES * (PAYLOAD - FIRST), decoder.bytesReadInPlace());
            System.out.println("LargePayloadAllocationTest: " + (double) least / FRAMES + " bytes per 128 KiB frame");
            assertTrue(least < 16L * FRAMES, (double) least / FRAMES + " bytes allocated per 128 KiB frame");
        } finally {
            ResourceLeakDetector.setLevel(level);
            head.release();
            data.release();
            ch.finishAndReleaseAll();
        }
    }

    /** {@code count} frames as a socket brings them. */
    private static void frames(EmbeddedChannel ch, HastFrameDecoder decoder, ByteBuf head, ByteBuf data, int count) {
        InPlaceReads.feed(ch, decoder, head, data, FIRST, count, () -> { });
    }

    /** Checks each frame's payload and releases the frame, as the disk thread does once written. */
    private static final class Receiver extends ChannelInboundHandlerAdapter {
        long frames;
        long wrongBytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            HastFrame frame = (HastFrame) msg;
            ByteBuf payload = frame.payload();
            frames++;
            if (payload.readableBytes() != PAYLOAD || payload.getByte(payload.readerIndex()) != 0
                    || payload.getByte(payload.readerIndex() + PAYLOAD - 1) != (byte) ((PAYLOAD - 1) * 7)) {
                wrongBytes++;
            }
            frame.release();
        }
    }
}
