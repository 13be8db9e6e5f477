package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;

/**
 * The secondary's disk threads apply requests in parallel yet leave the disk as applying them
 * in arrival order would. One request is held in its applier (the test hook runs there before
 * the disk is touched) until the request under test has either started (a naive parallel
 * apply) or been made to wait for it; what the later request then sees on the disk tells which.
 */
class ParallelApplyTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final long DATA_SIZE = 1L << 20;
    private static final int BLOCK = 4096;
    private static final int MAX_REQUEST = 1 << 20;
    private static final long GUARD_SECONDS = 20;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final DiskQueue queue = new DiskQueue();
    private final BlockingQueue<Long> replies = new LinkedBlockingQueue<>();
    private final Map<Long, Consumer<SecondaryRequest>> hooks = new ConcurrentHashMap<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final EmbeddedChannel receiveSide = new EmbeddedChannel();
    private Path file;
    private LocalComponent local;
    private SecondaryDisk disk;
    private Thread diskThread;
    private Channel client;

    @BeforeEach
    void setUp() throws Exception {
        file = dir.resolve("disk");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + DATA_SIZE);
        }
        local = LocalComponent.open(file);
        LocalAddress address = new LocalAddress("parallel-apply-" + System.nanoTime());
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024),
                                new ReplyCollector());
                    }
                }).bind(address).syncUninterruptibly();
        client = new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(HastFrameEncoder.INSTANCE);
                    }
                }).connect(address).syncUninterruptibly().channel();
        // Requests are queued from the test thread: the receive side's channel is only asked to pause.
        queue.setReceiveChannel(receiveSide);
        disk = new SecondaryDisk(queue, local, LOCAL_OFFSET, PayloadCodec::new, new WorkerStats(), client, 2,
                MAX_REQUEST, () -> violations.add("fatal"), 4);
        disk.setBeforeApply(request -> hooks.getOrDefault(request.seq(), r -> { }).accept(request));
        diskThread = new Thread(disk, "disk");
        diskThread.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        disk.stop();
        diskThread.join(5000);
        queue.drain();
        client.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        receiveSide.finishAndReleaseAll();
        local.close();
    }

    @Test
    void anOverlappingWriteWaitsForTheEarlierOneWhileOthersGoAhead() throws Exception {
        CountDownLatch laterHeld = new CountDownLatch(1);
        hooks.put(1L, request -> await(laterHeld));
        hooks.put(3L, request -> {
            laterHeld.countDown(); // a naive apply starts it while 1 is held
            if (block(0) != 'a') {
                violations.add("write 3 ran before the overlapping write 1");
            }
        });
        disk.order().setOnWait(laterHeld::countDown);

        queue.add(write(1, 0, BLOCK, 'a'));
        queue.add(write(2, 8 * BLOCK, BLOCK, 'c'));
        // While 1 is held, 2 (elsewhere) is applied and answered: the writes run in parallel.
        assertEquals(2L, replies.poll(GUARD_SECONDS, TimeUnit.SECONDS), "a write beside a held one waited for it");
        // Overlaps 1 by one sector; the disk must end with 3's bytes there.
        queue.add(write(3, BLOCK - 512, BLOCK, 'b'));

        expectReplies(2);
        assertTrue(violations.isEmpty(), violations.toString());
        assertEquals('a', block(0));
        assertEquals('b', block(BLOCK - 512));
        assertEquals('b', block(BLOCK));
        assertEquals('c', block(8 * BLOCK));
    }

    @Test
    void aFlushWaitsForEveryEarlierWriteAndLaterRequestsWaitForIt() throws Exception {
        CountDownLatch flushHeld = new CountDownLatch(1);
        CountDownLatch laterHeld = new CountDownLatch(1);
        boolean[] flushDone = new boolean[1];
        hooks.put(1L, request -> await(flushHeld));
        hooks.put(3L, request -> {
            flushHeld.countDown();
            if (block(0) != 'a' || block(4 * BLOCK) != 'e') {
                violations.add("the flush ran before an earlier write was applied");
            }
            await(laterHeld);
            synchronized (flushDone) {
                flushDone[0] = true;
            }
        });
        hooks.put(4L, request -> {
            laterHeld.countDown();
            synchronized (flushDone) {
                if (!flushDone[0]) {
                    violations.add("a request after the flush ran before it");
                }
            }
        });
        // The first wait is the flush's (for write 1), the next the read's (for the flush).
        CountDownLatch waits = new CountDownLatch(2);
        disk.order().setOnWait(() -> {
            waits.countDown();
            if (waits.getCount() == 1) {
                flushHeld.countDown();
            } else {
                laterHeld.countDown();
            }
        });

        queue.add(write(1, 0, BLOCK, 'a'));
        queue.add(write(2, 4 * BLOCK, BLOCK, 'e'));
        queue.add(new SecondaryRequest(RequestHeader.flush(3), null, null, 0));
        // Nowhere near the writes, yet after the flush.
        queue.add(new SecondaryRequest(RequestHeader.read(4, 64 * BLOCK, BLOCK), null, null, 0));

        expectReplies(4);
        assertTrue(violations.isEmpty(), violations.toString());
    }

    private static SecondaryRequest write(long seq, long offset, int length, char fill) {
        byte[] data = new byte[length];
        java.util.Arrays.fill(data, (byte) fill);
        return new SecondaryRequest(RequestHeader.write(seq, offset, length, false),
                new PayloadFields(null, null, null, length), Unpooled.directBuffer(length).writeBytes(data), 0);
    }

    /** The first byte of the block at {@code offset} as the disk has it now. */
    private char block(long offset) {
        ByteBuffer one = ByteBuffer.allocate(1);
        try {
            local.readFully(one, LOCAL_OFFSET + offset);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return (char) one.get(0);
    }

    /** Holds a request in its applier; the guard only keeps a broken build from hanging. */
    private void await(CountDownLatch latch) {
        try {
            if (!latch.await(GUARD_SECONDS, TimeUnit.SECONDS)) {
                violations.add("held request never released (the apply is serial?)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void expectReplies(int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            assertNotNull(replies.poll(GUARD_SECONDS * 2, TimeUnit.SECONDS), "a reply is missing");
        }
    }

    private final class ReplyCollector extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
            HastFrame frame = (HastFrame) message;
            try {
                ReplyHeader reply = ReplyHeader.fromNv(frame.nv());
                if (reply.error() != 0) {
                    violations.add("request " + reply.seq() + " failed: " + reply.error());
                }
                replies.add(reply.seq());
            } finally {
                frame.release();
            }
        }
    }
}
