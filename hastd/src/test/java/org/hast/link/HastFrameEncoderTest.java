package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Frame;
import org.hast.proto.Frames;
import org.hast.proto.RequestHeader;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link HastFrameEncoder} alone in an {@link EmbeddedChannel}: header + nv in one buffer
 * equal to the zeroed capture, then the payload as the caller's own buffer, uncopied.
 */
@ExtendWith(LeakWatch.class)
class HastFrameEncoderTest {
    @TestFactory
    Stream<DynamicTest> everyVectorReencoded() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Message m : VectorStreams.messages()) {
            tests.add(DynamicTest.dynamicTest(m.name(), () -> reencode(m)));
        }
        return tests.stream();
    }

    private static void reencode(Message m) throws Exception {
        Frame decoded = Frames.decode(ByteBuffer.wrap(m.raw()), 1 << 16);
        NvWriter nv = copy(decoded.nv());
        byte[] payloadBytes = VectorStreams.payload(m);
        ByteBuf payload = payloadBytes.length == 0 ? Unpooled.EMPTY_BUFFER
                : PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(payloadBytes);

        EmbeddedChannel ch = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        ChannelFuture done = ch.writeAndFlush(new OutgoingFrame(m.version(), nv, payload));
        assertTrue(done.isSuccess());

        ByteBuf head = ch.readOutbound();
        assertArrayEquals(m.expected(), ByteBufUtil.getBytes(head));
        head.release();
        if (payloadBytes.length > 0) {
            ByteBuf sent = ch.readOutbound();
            assertSame(payload, sent, "the payload goes out as the caller's buffer");
            assertEquals(1, sent.refCnt(), "the channel holds the one reference");
            sent.release();
        }
        assertNull(ch.readOutbound());
        assertFalse(ch.finish());
        assertEquals(payloadBytes.length == 0 ? 1 : 0, payload.refCnt());
    }

    /** The decoded message written back through the writer, entry by entry. */
    private static NvWriter copy(NvMessage msg) {
        NvWriter out = new NvWriter();
        for (int i = 0; i < msg.size(); i++) {
            out.addRaw(msg.typeAt(i), msg.nameAt(i), msg.payloadAt(i));
        }
        return out;
    }

    @Test
    void encoderOutputDecodesToTheSameFrames() {
        EmbeddedChannel out = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.buffer().writeBytes(new byte[] {1, 2, 3,
            4, 5, 6, 7, 8});
        out.writeOutbound(new OutgoingFrame(2, RequestHeader.write(3, 0, 8, false).toNv()
                .addUint32("size", 8), payload));
        out.writeOutbound(new OutgoingFrame(1, RequestHeader.keepalive().toNv()));

        EmbeddedChannel in = new EmbeddedChannel(new HastFrameDecoder());
        for (ByteBuf b; (b = out.readOutbound()) != null; ) {
            in.writeInbound(b);
        }
        HastFrame write = in.readInbound();
        HastFrame keepalive = in.readInbound();
        assertEquals(2, write.version());
        assertEquals(3, write.nv().getUint64("seq"));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, ByteBufUtil.getBytes(
                write.payload()));
        assertEquals(1, keepalive.version());
        assertEquals(5, keepalive.nv().getUint8("cmd"));
        write.release();
        keepalive.release();
        assertEquals(0, payload.refCnt());
        assertFalse(in.finish());
        assertFalse(out.finish());
    }

    @Test
    void anEncodedFrameGoesOutAsTheSameBytesAndReleasesBothBuffers() {
        NvWriter nv = RequestHeader.write(7, 4096, 8, true).toNv().addUint32("size", 8);
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.buffer().writeBytes(new byte[] {9, 8, 7, 6, 5, 4, 3, 2});
        ByteBuf header = HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 2, nv);

        EmbeddedChannel viaFrame = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        viaFrame.writeOutbound(new OutgoingFrame(2, nv, payload.retainedSlice()));
        EmbeddedChannel viaEncoded = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        viaEncoded.writeOutbound(EncodedFrame.of(header, payload.retainedSlice()));

        assertArrayEquals(drain(viaFrame), drain(viaEncoded));
        assertEquals(0, header.refCnt(), "the header went out and was released");
        assertEquals(1, payload.refCnt(), "only the caller's own reference is left");
        payload.release();

        ByteBuf dropped = HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 2, nv);
        EncodedFrame.of(dropped, Unpooled.EMPTY_BUFFER).release();
        assertEquals(0, dropped.refCnt(), "a frame never written releases its header");
    }

    private static byte[] drain(EmbeddedChannel channel) {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            all.writeBytes(b);
            b.release();
        }
        return ByteBufUtil.getBytes(all);
    }

    @Test
    void headerHelperWorksWithoutAPipeline() {
        NvWriter nv = new NvWriter().addUint8("cmd", 5);
        ByteBuf head = HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 2, nv);
        assertArrayEquals(Frames.encode(2, nv).array(), ByteBufUtil.getBytes(head));
        assertEquals(head.capacity(), head.readableBytes(), "sized exactly");
        head.release();
        assertThrows(IllegalArgumentException.class,
                () -> HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 3, nv));
    }

    @Test
    void outgoingFrameRefusesAVersionAboveTwo() {
        assertThrows(IllegalArgumentException.class,
                () -> new OutgoingFrame(3, new NvWriter().addUint8("cmd", 5)));
    }

    @Test
    void otherMessagesPassThrough() {
        EmbeddedChannel ch = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        ByteBuf raw = Unpooled.wrappedBuffer(new byte[] {9});
        ch.writeOutbound(raw);
        assertSame(raw, ch.readOutbound());
        raw.release();
        assertFalse(ch.finish());
    }
}
