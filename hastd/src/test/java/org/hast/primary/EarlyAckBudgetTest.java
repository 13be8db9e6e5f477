package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.activemap.ActiveMap;
import org.hast.block.InflightBudget;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ReplicationMode;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.link.OutgoingFrame;
import org.hast.local.LocalComponent;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.hast.sync.DirtyMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * A write answered before the secondary is done (async: local done; memsync: local done and
 * received) keeps its payload in memory after the client got its budget back: the payloads in
 * memory must stay within the worker's budget while the secondary withholds its replies, as in
 * fullsync. A client modelled on the NBD export (budget taken before a write, given back with
 * its answer) writes 64 × 128 KiB against a 2 MiB budget, a real local file and a scripted
 * secondary on 127.0.0.1 that answers nothing until the client can go no further. Before the
 * fix every write was answered at local completion and all 8 MiB sat in the request slots.
 * About a second per mode.
 */
@Timeout(60)
class EarlyAckBudgetTest {
    private static final long DATA_SIZE = 16L << 20;
    private static final int EXTENT = 1 << 20;
    private static final long LOCAL_OFFSET = 8192;
    private static final int VERSION = 2;
    private static final int LENGTH = PrimaryPipeline.MAX_REQUEST_BYTES;
    private static final int WRITES = 64;

    @TempDir
    Path dir;
    private final EventLoopGroup primaryLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup secondaryLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final BlockingQueue<RequestHeader> requests = new LinkedBlockingQueue<>();
    private final InflightBudget budget = new InflightBudget(2 << 20);
    private final WorkerStats stats = new WorkerStats();
    private final StaleExtents stale = new StaleExtents(EXTENT, null, () -> 1);
    private LocalComponent local;
    private DirtyMap dirty;
    private PrimaryPipeline pipeline;
    private Channel server;
    private final List<Channel> channels = new ArrayList<>();
    /** The secondary's end of the connection its replies go back on. */
    private Channel inPeer;

    /** Payload bytes still allocated, and the most there ever were. */
    private final AtomicLong payloadBytes = new AtomicLong();
    private final AtomicLong payloadPeak = new AtomicLong();

    /** Counts its bytes from allocation until the last reference to it is gone. */
    private final class CountedPayload extends UnpooledDirectByteBuf {
        CountedPayload() {
            super(UnpooledByteBufAllocator.DEFAULT, LENGTH, LENGTH);
            payloadPeak.accumulateAndGet(payloadBytes.addAndGet(LENGTH), Math::max);
        }

        @Override
        protected void deallocate() {
            payloadBytes.addAndGet(-LENGTH);
            super.deallocate();
        }
    }

    /**
     * The NBD export's part: a write's bytes are taken from the budget before its payload
     * exists, and given back after the payload was let go, when the answer came; a write that
     * does not fit waits in the budget's queue.
     */
    private final class Client implements InflightBudget.Waiter {
        final AtomicInteger issued = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        /** Queued in the budget: a waiter waits for one thing at a time. */
        private boolean queued;

        synchronized void pump() {
            while (!queued && issued.get() < WRITES) {
                if (!budget.tryAcquire(LENGTH, this)) {
                    queued = true;
                    return;
                }
                issue();
            }
        }

        @Override
        public long wantedBytes() {
            return LENGTH;
        }

        @Override
        public void budgetGranted() {
            synchronized (this) {
                queued = false;
                issue();
            }
            pump();
        }

        private void issue() {
            int index = issued.getAndIncrement();
            ByteBuf payload = new CountedPayload();
            payload.writeZero(LENGTH).setInt(0, index + 1);
            pipeline.write((long) index * LENGTH, payload, false, errno -> {
                if (errno != 0) {
                    failed.incrementAndGet();
                }
                payload.release();
                budget.release(LENGTH);
                answered.incrementAndGet();
                pump();
            });
        }
    }

    private void start(ReplicationMode mode) throws Exception {
        Path file = dir.resolve("disk");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), LOCAL_OFFSET + DATA_SIZE - 1);
        }
        local = LocalComponent.open(file);
        dirty = new DirtyMap(new ActiveMap(DATA_SIZE, EXTENT, 64, 512), local, LOCAL_OFFSET, stats, true);
        pipeline = new PrimaryPipeline(local, LOCAL_OFFSET, DATA_SIZE, 512, dirty, stats, new NoOutage(), mode,
                new PayloadCodec(), new AtomicLong(1), stale, primaryLoop.next(), budget);
        server = new ServerBootstrap().group(secondaryLoop).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, 256 * 1024),
                                HastFrameEncoder.INSTANCE, new SimpleChannelInboundHandler<HastFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, HastFrame frame) {
                                        requests.add(RequestHeader.fromNv(frame.nv()));
                                    }
                                });
                        accepted.add(channel);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Channel out = connect(HastFrameEncoder.INSTANCE);
        assertNotNull(accepted.poll(10, TimeUnit.SECONDS));
        Channel in = connect(new HastFrameDecoder(64 * 1024, 256 * 1024));
        Channel inPeer = accepted.poll(10, TimeUnit.SECONDS);
        assertNotNull(inPeer);
        this.inPeer = inPeer;
        channels.add(inPeer);
        pipeline.attach(new ConnectionPair(out, in, VERSION));
    }

    private Channel connect(ChannelHandler... handlers) throws InterruptedException {
        Channel channel = new Bootstrap().group(primaryLoop).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(handlers);
                    }
                }).connect(server.localAddress()).sync().channel();
        channels.add(channel);
        return channel;
    }

    private static final class NoOutage implements PrimaryPipeline.Counters {
        @Override
        public boolean outageBumpPending() {
            return false;
        }

        @Override
        public void acknowledgingWhileDisconnected() {
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (pipeline != null) {
            pipeline.close();
        }
        for (Channel channel : channels) {
            channel.close().sync();
        }
        if (server != null) {
            server.close().sync();
        }
        primaryLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        secondaryLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        stale.close();
        if (dirty != null) {
            dirty.close();
        }
        if (local != null) {
            local.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = ReplicationMode.class, names = {"ASYNC", "MEMSYNC"})
    void payloadsAnsweredEarlyStayWithinTheBudgetWhileTheSecondaryIsSilent(ReplicationMode mode) throws Exception {
        start(mode);
        Client client = new Client();
        client.pump();
        List<RequestHeader> unanswered = new ArrayList<>();
        do {
            Thread.sleep(10);
            drain(mode, unanswered);
        } while (!stuck(client, unanswered));
        // The client can go no further (or wrote everything): now the secondary answers it all,
        // until every write is answered and has given back its payload and its budget.
        while (client.answered.get() < WRITES || budget.used() > 0 || payloadBytes.get() > 0) {
            drain(mode, unanswered);
            for (RequestHeader request : unanswered) {
                inPeer.write(new OutgoingFrame(VERSION, ReplyHeader.done(request.seq()).toNv()));
            }
            inPeer.flush();
            unanswered.clear();
            Thread.sleep(5);
        }
        assertEquals(0, client.failed.get(), "every write succeeded");
        assertTrue(payloadPeak.get() <= budget.capacity(),
                mode + ": " + payloadPeak.get() + " payload bytes were in memory at once, more than the budget of "
                        + budget.capacity());
        for (int i = 0; i < WRITES; i++) {
            ByteBuffer marker = ByteBuffer.allocate(4);
            local.readFully(marker, LOCAL_OFFSET + (long) i * LENGTH);
            assertEquals(i + 1, marker.getInt(0), "write " + i + " on disk");
        }
    }

    /** Takes what reached the secondary; memsync hears at once that it was received. */
    private void drain(ReplicationMode mode, List<RequestHeader> unanswered) {
        RequestHeader request;
        while ((request = requests.poll()) != null) {
            unanswered.add(request);
            if (mode == ReplicationMode.MEMSYNC) {
                inPeer.write(new OutgoingFrame(VERSION, ReplyHeader.received(request.seq()).toNv()));
            }
        }
        inPeer.flush();
    }

    /**
     * Nothing more can happen without the secondary's final replies: the client wrote
     * everything, or waits for budget while every write it issued reached the secondary (and was
     * told "received" in memsync) and is on the local disk, so that no early answer is still to
     * come. Checked twice, since an answer on its way may still let the client go on.
     */
    private boolean stuck(Client client, List<RequestHeader> unanswered)
            throws IOException, InterruptedException {
        for (int check = 0; check < 2; check++) {
            if (client.issued.get() == WRITES) {
                return true;
            }
            int issued = client.issued.get();
            if (budget.waiting() == 0 || unanswered.size() < issued || !allOnDisk(issued)) {
                return false;
            }
            Thread.sleep(50);
            if (client.issued.get() != issued) {
                return false;
            }
        }
        return true;
    }

    private boolean allOnDisk(int count) throws IOException {
        ByteBuffer marker = ByteBuffer.allocate(4);
        for (int i = 0; i < count; i++) {
            marker.clear();
            local.readFully(marker, LOCAL_OFFSET + (long) i * LENGTH);
            if (marker.getInt(0) != i + 1) {
                return false;
            }
        }
        return true;
    }
}
