package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.local.LocalComponent;
import org.hast.nv.NvMessage;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;

/**
 * Memsync's early replies leave at the end of the socket read that brought their requests, in
 * one flush (issue #15): each flush is a {@code sendto} on the secondary and a wake-up of the
 * primary's loop. (Holding the disk thread's replies for company was measured and dropped: the
 * quiet A/B gave 16.4 k IOPS with it against 20.2 k without, bench/README.md.)
 */
class ReplyBatchingTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final long DATA_SIZE = 1L << 20;
    private static final int BLOCK = 4096;
    private static final int MAX_REQUEST = 1 << 20;
    private static final int REQUESTS = 8;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final BlockingQueue<Long> replies = new LinkedBlockingQueue<>();
    private final AtomicInteger flushes = new AtomicInteger();
    private LocalComponent local;
    private Channel client;

    @BeforeEach
    void setUp() throws Exception {
        Path file = dir.resolve("disk");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + DATA_SIZE);
        }
        local = LocalComponent.open(file);
        LocalAddress address = new LocalAddress("reply-batching-" + System.nanoTime());
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
                                        HastFrame frame = (HastFrame) message;
                                        try {
                                            replies.add(ReplyHeader.fromNv(frame.nv()).seq());
                                        } finally {
                                            frame.release();
                                        }
                                    }
                                });
                    }
                }).bind(address).syncUninterruptibly();
        client = new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(new FlushCounter(), HastFrameEncoder.INSTANCE);
                    }
                }).connect(address).syncUninterruptibly().channel();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        local.close();
    }

    @Test
    void memsyncEarlyRepliesOfOneReadLeaveInOneFlush() throws Exception {
        DiskQueue queue = new DiskQueue();
        EmbeddedChannel in = new EmbeddedChannel();
        queue.setReceiveChannel(in);
        in.pipeline().addLast(new RequestReceiver(queue, new WorkerStats(), client, 2, DATA_SIZE, 512, MAX_REQUEST,
                () -> { }));
        Object[] frames = new Object[REQUESTS];
        for (int i = 1; i <= REQUESTS; i++) {
            byte[] nv = new PayloadFields(null, null, null, BLOCK)
                    .appendTo(RequestHeader.write(i, (i - 1) * BLOCK, BLOCK, true).toNv()).toByteArray();
            frames[i - 1] = new HastFrame(2, NvMessage.decode(nv), Unpooled.directBuffer(BLOCK).writeZero(BLOCK));
        }
        in.writeInbound(frames); // one read, as the frame decoder hands them over
        for (int i = 0; i < REQUESTS; i++) {
            assertNotNull(replies.poll(20, TimeUnit.SECONDS), "an early reply is missing");
        }
        assertEquals(1, flushes.get(), "flushes for the early replies of one read");
        queue.drain();
        in.finishAndReleaseAll();
    }

    private final class FlushCounter extends ChannelOutboundHandlerAdapter {
        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
        }
    }
}
