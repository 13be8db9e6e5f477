package org.hast.link;

import static org.hast.link.HastFrameDecoderTest.concat;
import static org.hast.link.HastFrameDecoderTest.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.ssl.SslContextBuilder;

import org.hast.nv.NvWriter;
import org.hast.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How {@link HastFrameDecoder} gets payload bytes that span reads: split and coalesced at
 * every pair of byte boundaries, lent to the socket's reads (the payload's own buffer filled
 * in place), not lent when small or behind TLS, and all of it over a real loopback socket.
 */
@ExtendWith(LeakWatch.class)
class HastFrameDecoderReadsTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Three frames (payload, none, payload) cut into three reads at every two boundaries. */
    @Test
    void everySplitAndCoalescenceOfThreeFrames() {
        byte[][] payloads = {random(1, 5), new byte[0], random(2, 3)};
        byte[] stream = new byte[0];
        for (int i = 0; i < payloads.length; i++) {
            stream = concat(stream, frame(i, new NvWriter().addUint32("size", payloads[i].length),
                    payloads[i]));
        }
        for (int a = 0; a <= stream.length; a++) {
            for (int b = a; b <= stream.length; b++) {
                EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
                List<ByteBuf> pieces = List.of(piece(stream, 0, a), piece(stream, a, b),
                        piece(stream, b, stream.length));
                List<HastFrame> frames = new ArrayList<>();
                for (ByteBuf p : pieces) {
                    ch.writeInbound(p);
                    for (Object o; (o = ch.readInbound()) != null; ) {
                        frames.add(assertInstanceOf(HastFrame.class, o));
                    }
                }
                String cut = "cut at " + a + ", " + b;
                assertEquals(payloads.length, frames.size(), cut);
                for (int i = 0; i < payloads.length; i++) {
                    assertEquals(i, frames.get(i).version(), cut);
                    assertArrayEquals(payloads[i], ByteBufUtil.getBytes(frames.get(i).payload()), cut);
                    frames.get(i).release();
                }
                assertFalse(ch.finish());
                for (ByteBuf p : pieces) {
                    assertEquals(0, p.refCnt(), cut + ": every input released");
                }
            }
        }
    }

    @Test
    void theMissingPartOfALargePayloadIsReadInPlace() {
        byte[] payload = random(3, 100_000);
        byte[] frame = frame(2, new NvWriter().addUint64("seq", 7).addUint32("size", payload.length), payload);
        int headAndSome = frame.length - payload.length + 10;
        HastFrameDecoder decoder = new HastFrameDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        RecvByteBufAllocator.Handle reads = ch.config().getRecvByteBufAllocator().newHandle();
        ch.writeInbound(piece(frame, 0, headAndSome));
        assertNull(ch.readInbound());

        ByteBuf lent = reads.allocate(ALLOC);
        assertEquals(payload.length - 10, lent.writableBytes(), "the read is offered the missing part");
        lent.writeBytes(payload, 10, 50_000); // as the socket would, in two reads
        ch.writeInbound(lent);
        ByteBuf second = reads.allocate(ALLOC);
        assertEquals(payload.length - 50_010, second.writableBytes());
        second.writeBytes(payload, 50_010, payload.length - 50_010);
        ch.writeInbound(second);

        HastFrame f = ch.readInbound();
        assertArrayEquals(payload, ByteBufUtil.getBytes(f.payload()));
        assertSame(unwrapAll(lent), unwrapAll(f.payload()), "the payload is the memory the reads filled");
        assertEquals(payload.length - 10, decoder.bytesReadInPlace());
        f.release();
        ByteBuf own = reads.allocate(ALLOC);
        assertNotSame(unwrapAll(lent), unwrapAll(own), "between frames, reads get buffers of their own");
        own.release();
        assertFalse(ch.finish());
    }

    /**
     * Between two large payloads the read takes only the next header and a little, so the
     * second payload is read in place all but those few bytes; after a frame that came whole,
     * reads get the channel's own buffers again.
     */
    @Test
    void afterAPayloadReadInPlaceTheNextReadTakesAHeadersWorth() {
        byte[] first = random(7, 100_000);
        byte[] second = random(8, 100_000);
        byte[] frame1 = frame(2, new NvWriter().addUint64("seq", 1).addUint32("size", first.length), first);
        byte[] frame2 = frame(2, new NvWriter().addUint64("seq", 2).addUint32("size", second.length), second);
        byte[] small = frame(2, new NvWriter().addUint64("seq", 3).addUint32("size", 10), random(9, 10));
        HastFrameDecoder decoder = new HastFrameDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        RecvByteBufAllocator.Handle reads = ch.config().getRecvByteBufAllocator().newHandle();
        ch.writeInbound(piece(frame1, 0, frame1.length - first.length + 10));
        ByteBuf lent = reads.allocate(ALLOC);
        lent.writeBytes(first, 10, first.length - 10);
        ch.writeInbound(lent);
        HastFrame f1 = ch.readInbound();
        assertArrayEquals(first, ByteBufUtil.getBytes(f1.payload()));
        f1.release();

        ByteBuf head = reads.allocate(ALLOC);
        assertEquals(HastFrameDecoder.HEAD_READ, head.writableBytes(), "a header's worth, not 64 KiB");
        int headerAndSome = HastFrameDecoder.HEAD_READ;
        head.writeBytes(frame2, 0, headerAndSome);
        ch.writeInbound(head);
        ByteBuf rest = reads.allocate(ALLOC);
        int copied = headerAndSome - (frame2.length - second.length);
        assertEquals(second.length - copied, rest.writableBytes(), "the rest of the payload is lent");
        rest.writeBytes(frame2, headerAndSome, frame2.length - headerAndSome);
        ch.writeInbound(rest);
        HastFrame f2 = ch.readInbound();
        assertArrayEquals(second, ByteBufUtil.getBytes(f2.payload()));
        f2.release();
        assertEquals(first.length - 10 + second.length - copied, decoder.bytesReadInPlace());

        ByteBuf next = reads.allocate(ALLOC);
        next.writeBytes(small);
        ch.writeInbound(next);
        HastFrame f3 = ch.readInbound();
        assertEquals(10, f3.payload().readableBytes());
        f3.release();
        ByteBuf own = reads.allocate(ALLOC);
        assertEquals(reads.guess(), own.capacity(), "after a whole frame, the channel's own buffer");
        own.release();
        assertFalse(ch.finish());
    }

    @Test
    void aSmallRestIsCopiedNotLent() {
        byte[] payload = random(4, HastFrameDecoder.MIN_LENT_READ + 5);
        byte[] frame = frame(2, new NvWriter().addUint32("size", payload.length), payload);
        HastFrameDecoder decoder = new HastFrameDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        RecvByteBufAllocator.Handle reads = ch.config().getRecvByteBufAllocator().newHandle();
        ch.writeInbound(piece(frame, 0, frame.length - payload.length + 6));
        ByteBuf own = reads.allocate(ALLOC);
        own.writeBytes(frame, frame.length - payload.length + 6, payload.length - 6);
        ch.writeInbound(own);
        HastFrame f = ch.readInbound();
        assertArrayEquals(payload, ByteBufUtil.getBytes(f.payload()));
        assertNotSame(unwrapAll(own), unwrapAll(f.payload()));
        assertEquals(0, decoder.bytesReadInPlace());
        f.release();
        assertFalse(ch.finish());
    }

    @Test
    void nothingIsLentBehindTls() throws Exception {
        byte[] payload = random(5, 100_000);
        byte[] frame = frame(2, new NvWriter().addUint32("size", payload.length), payload);
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        RecvByteBufAllocator.Handle reads = ch.config().getRecvByteBufAllocator().newHandle();
        ch.writeInbound(piece(frame, 0, 100));
        ch.pipeline().addFirst(SslContextBuilder.forClient().build().newHandler(ch.alloc()));
        ByteBuf own = reads.allocate(ALLOC);
        assertEquals(reads.guess(), own.capacity(), "the channel's own buffer, not the payload's rest");
        own.release();
        ch.finishAndReleaseAll();
    }

    /**
     * Frames of every size class through a loopback connection of this process's transport,
     * written in random pieces: every frame arrives whole, and the large payloads were read in
     * place.
     */
    @Test
    void framesOverARealSocket() throws Exception {
        Transport transport = Transport.current();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, transport.ioHandlerFactory());
        BlockingQueue<HastFrame> received = new LinkedBlockingQueue<>();
        HastFrameDecoder decoder = new HastFrameDecoder();
        Channel server = null;
        Channel client = null;
        try {
            server = new ServerBootstrap().group(group)
                    .channelFactory(() -> transport.newServerSocketChannel(SocketProtocolFamily.INET))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(decoder, new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    received.add((HastFrame) msg);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            client = new Bootstrap().group(group).channelFactory(transport::newSocketChannel)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            int[] sizes = {1 << 20, 0, 4096, 100_000, 1 << 20, 33_000, 1, 1 << 20, 65_536, 0, 1 << 20};
            Random random = new Random(6);
            byte[][] payloads = new byte[sizes.length][];
            for (int i = 0; i < sizes.length; i++) {
                payloads[i] = random(i, sizes[i]);
                byte[] frame = frame(2, new NvWriter().addUint64("seq", i)
                        .addUint32("size", sizes[i]), payloads[i]);
                for (int at = 0; at < frame.length; ) {
                    int n = Math.min(frame.length - at, 1 + random.nextInt(random.nextBoolean() ? 64 : 300_000));
                    client.writeAndFlush(client.alloc().buffer(n).writeBytes(frame, at, n)).sync();
                    at += n;
                }
            }
            for (int i = 0; i < sizes.length; i++) {
                HastFrame f = received.poll(30, TimeUnit.SECONDS);
                assertTrue(f != null, "frame " + i + " arrived");
                try {
                    assertEquals(i, f.nv().getUint64("seq"));
                    assertArrayEquals(payloads[i], ByteBufUtil.getBytes(f.payload()), "frame " + i);
                } finally {
                    f.release();
                }
            }
            assertTrue(decoder.bytesReadInPlace() >= 4L * ((1 << 20) - 64 * 1024),
                    "the 1 MiB payloads were read in place: " + decoder.bytesReadInPlace() + " bytes on "
                    + transport.name());
        } finally {
            if (client != null) {
                client.close().sync();
            }
            if (server != null) {
                server.close().sync();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            received.forEach(HastFrame::release);
        }
    }

    private static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static ByteBuf piece(byte[] stream, int from, int to) {
        return ALLOC.buffer(Math.max(1, to - from)).writeBytes(stream, from, to - from);
    }

    private static ByteBuf unwrapAll(ByteBuf buf) {
        ByteBuf b = buf;
        while (b.unwrap() != null) {
            b = b.unwrap();
        }
        return b;
    }
}
