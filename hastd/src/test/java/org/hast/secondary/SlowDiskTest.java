package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.proto.Frames;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
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
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;

/**
 * The secondary's receive side and disk threads on one event loop, as in the worker, with a
 * disk that stalls on a FLUSH (which every later request waits for): the loop neither waits for
 * the disk nor stops writing the replies of requests already done; reading pauses while the
 * queue is full and everything is answered once the disk moves again.
 */
class SlowDiskTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final long DATA_SIZE = 1L << 20;
    private static final int BLOCK = 4096;
    private static final int MAX_REQUEST = 1 << 20;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private LocalComponent local;
    private Thread diskThread;
    private volatile SecondaryDisk disk;
    private final DiskQueue queue = new DiskQueue();
    private final BlockingQueue<Long> replies = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> errors = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws Exception {
        if (diskThread != null) {
            disk.stop();
            diskThread.join(5000);
        }
        queue.drain();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        if (local != null) {
            local.close();
        }
    }

    @Test
    void repliesGoOutWhileTheDiskIsStuck() throws Exception {
        Path file = dir.resolve("disk");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + DATA_SIZE);
        }
        local = LocalComponent.open(file);
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Channel> secondary = new AtomicReference<>();
        LocalAddress address = new LocalAddress("slow-disk-" + System.nanoTime());
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        WorkerStats stats = new WorkerStats();
                        disk = new SecondaryDisk(queue, local, LOCAL_OFFSET, PayloadCodec::new, stats,
                                channel, 2, MAX_REQUEST, () -> { });
                        disk.setBeforeApply(request -> {
                            if (request.seq() == 2) {
                                stalled.countDown();
                                try {
                                    release.await();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        });
                        queue.setReceiveChannel(channel);
                        channel.pipeline()
                                .addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024))
                                .addLast(HastFrameEncoder.INSTANCE)
                                .addLast(new RequestReceiver(queue, stats, channel, 2, DATA_SIZE, 512, MAX_REQUEST,
                                        () -> { }));
                        diskThread = new Thread(disk, "disk");
                        diskThread.start();
                        secondary.set(channel);
                    }
                }).bind(address).syncUninterruptibly();
        Channel primary = new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024),
                                new ReplyCollector());
                    }
                }).connect(address).syncUninterruptibly().channel();

        // Many more requests than the queue holds, in one read: the loop must not wait for room.
        int burst = 3 * DiskQueue.CAPACITY;
        primary.writeAndFlush(reads(1, burst));
        assertTrue(stalled.await(10, TimeUnit.SECONDS), "the disk never got to request 2");
        try {
            assertEquals(1L, replies.poll(10, TimeUnit.SECONDS), "the reply of a finished request did not go out");
            Channel loopSide = secondary.get();
            assertNotNull(loopSide);
            assertTrue(loopSide.eventLoop().submit(() -> true).get(10, TimeUnit.SECONDS));
            assertTrue(queue.paused(), "reading goes on although the disk is behind");
            assertTrue(queue.queued() <= DiskQueue.CAPACITY);
        } finally {
            release.countDown();
        }
        expectReplies(2, burst - 1);
        // Reading resumed after every pause: a second burst is answered in full too.
        primary.writeAndFlush(reads(burst + 1, burst));
        expectReplies(burst + 1, burst);
        primary.close().syncUninterruptibly();
    }

    /** READ requests {@code first .. first+count-1} (2 is a FLUSH), all in one buffer (so in one read). */
    private static ByteBuf reads(long first, int count) {
        ByteBuf all = Unpooled.buffer();
        for (long seq = first; seq < first + count; seq++) {
            long offset = (seq % (DATA_SIZE / BLOCK)) * BLOCK;
            RequestHeader header = seq == 2 ? RequestHeader.flush(seq) : RequestHeader.read(seq, offset, BLOCK);
            ByteBuffer frame = Frames.encode(2, header.toNv());
            all.writeBytes(frame);
        }
        return all;
    }

    /** Replies may come in any order (spec §4.5: the primary matches them by seq); none may be missing. */
    private void expectReplies(long first, int count) throws InterruptedException {
        Set<Long> expected = new HashSet<>();
        for (long seq = first; seq < first + count; seq++) {
            expected.add(seq);
        }
        for (int i = 0; i < count; i++) {
            Long got = replies.poll(20, TimeUnit.SECONDS);
            assertNotNull(got, "a reply is missing");
            assertTrue(expected.remove(got), "unexpected or repeated reply " + got);
            assertEquals(0, errors.poll());
        }
    }

    private final class ReplyCollector extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
            HastFrame frame = (HastFrame) message;
            try {
                ReplyHeader reply = ReplyHeader.fromNv(frame.nv());
                errors.add(reply.error());
                replies.add(reply.seq());
            } finally {
                frame.release();
            }
        }
    }
}
