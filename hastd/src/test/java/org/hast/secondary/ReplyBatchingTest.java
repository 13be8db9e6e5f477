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
 * The secondary sends the replies of requests handled back to back together (issue #15): each
 * flush is a {@code sendto} on the secondary and a wake-up of the primary's loop, and at queue
 * depth 32 there was about one per request. The disk thread's replies wait while more requests
 * are queued (up to {@link SecondaryDisk#BATCHED_REPLIES}, or {@link ReplyBatch#HOLD_MICROS},
 * which {@code SlowDiskTest} covers); memsync's early replies leave at the end of the read that
 * brought their requests.
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
    void repliesOfQueuedWritesLeaveInOneFlush() throws Exception {
        DiskQueue queue = new DiskQueue();
        EmbeddedChannel receiveSide = new EmbeddedChannel();
        queue.setReceiveChannel(receiveSide);
        // All queued before the disk thread starts: it finds each next one waiting.
        for (int i = 1; i <= REQUESTS; i++) {
            queue.add(new SecondaryRequest(RequestHeader.write(i, (i - 1) * BLOCK, BLOCK, false), null,
                    Unpooled.directBuffer(BLOCK).writeZero(BLOCK), 0));
        }
        SecondaryDisk disk = new SecondaryDisk(queue, local, LOCAL_OFFSET, PayloadCodec::new, new WorkerStats(),
                client, 2, MAX_REQUEST, () -> replies.add(-1L), 1);
        // The loop runs everything it was given before each request is applied: a reply handed
        // over at once would be flushed alone. The hold outlasts any loaded machine.
        disk.setBeforeApply(request -> client.eventLoop().submit(() -> { }).syncUninterruptibly());
        disk.holdRepliesMicros(TimeUnit.SECONDS.toMicros(30));
        disk.batchReplies(true);
        Thread diskThread = new Thread(disk, "disk");
        diskThread.start();
        try {
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Long seq = replies.poll(20, TimeUnit.SECONDS);
                assertNotNull(seq, "replies so far: " + seqs);
                seqs.add(seq);
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), seqs);
            assertEquals(1, flushes.get(), "flushes for " + REQUESTS + " replies of queued requests");
        } finally {
            disk.stop();
            diskThread.join(5000);
            queue.drain();
            receiveSide.finishAndReleaseAll();
        }
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
