package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.link.OutgoingFrame;
import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The remote component's threading without a sender thread: frames are written by the loop
 * the connections run on, a request waits while the connection is not writable, and every
 * request completes exactly once whether a reply, a detach or a close gets to it first.
 * Real TCP connections on 127.0.0.1 to a scripted secondary; a few seconds in all.
 */
class RemoteIoTest {
    private static final int VERSION = 2;
    private static final int ENOTCONN = RemoteIo.ENOTCONN;

    /** One loop for the primary's channels and the sender, as in the worker. */
    private final EventLoopGroup primaryLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup secondaryLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    /** Connections the scripted secondary accepted, in order. */
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    /** Requests the secondary received. */
    private final BlockingQueue<RequestHeader> requests = new LinkedBlockingQueue<>();
    /** The payload fields of the requests the secondary received. */
    private final BlockingQueue<PayloadFields> payloadFields = new LinkedBlockingQueue<>();
    /** The payloads the secondary received, in order. */
    private final BlockingQueue<byte[]> payloads = new LinkedBlockingQueue<>();
    /** Completions per request, and their errors. */
    private final Map<Hio, AtomicInteger> completions = new ConcurrentHashMap<>();
    private final Map<Hio, Integer> errors = new ConcurrentHashMap<>();
    private final AtomicInteger completed = new AtomicInteger();
    private Channel server;
    private RemoteIo remote;

    @BeforeEach
    void setUp() throws InterruptedException {
        server = new ServerBootstrap().group(secondaryLoop).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, 256 * 1024),
                                HastFrameEncoder.INSTANCE, new SimpleChannelInboundHandler<HastFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, HastFrame frame) {
                                        requests.add(RequestHeader.fromNv(frame.nv()));
                                        if (frame.nv().has(PayloadFields.FIELD_SIZE)) {
                                            payloadFields.add(PayloadFields.fromNv(frame.nv()));
                                        }
                                        if (frame.payload() != null) {
                                            payloads.add(ByteBufUtil.getBytes(frame.payload()));
                                        }
                                    }
                                });
                        accepted.add(channel);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        remote = remote(new PayloadCodec());
    }

    private RemoteIo remote(PayloadCodec codec) {
        return new RemoteIo(codec, PrimaryPipeline.MAX_REQUEST_BYTES, 300, new AtomicLong(1),
                primaryLoop.next(), hio -> {
                    errors.put(hio, hio.remoteError);
                    completions.computeIfAbsent(hio, h -> new AtomicInteger()).incrementAndGet();
                    completed.incrementAndGet();
                }, hio -> { });
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        remote.close();
        server.close().sync();
        primaryLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        secondaryLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** The primary's two connections and the secondary's ends of them: out, in, outPeer, inPeer. */
    private Channel[] connect() throws InterruptedException {
        Channel out = connect(HastFrameEncoder.INSTANCE);
        Channel outPeer = accepted.poll(10, TimeUnit.SECONDS);
        Channel in = connect(new HastFrameDecoder(64 * 1024, 256 * 1024), new ReplyReceiver(remote));
        Channel inPeer = accepted.poll(10, TimeUnit.SECONDS);
        assertNotNull(outPeer);
        assertNotNull(inPeer);
        remote.attach(new ConnectionPair(out, in, VERSION));
        return new Channel[] {out, in, outPeer, inPeer};
    }

    private Channel connect(ChannelHandler... handlers) throws InterruptedException {
        return new Bootstrap().group(primaryLoop).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(handlers);
                    }
                }).connect(server.localAddress()).sync().channel();
    }

    private static Hio write(long offset) {
        return new Hio(HioCommand.WRITE, offset, 4096, Unpooled.wrappedBuffer(new byte[4096]), errno -> { });
    }

    private static void setWritable(Channel channel, boolean writable) throws InterruptedException {
        channel.eventLoop().submit(() -> channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable))
                .sync();
    }

    /** Lets the primary's loop run what was queued for it, twice over (a drain can queue a flush). */
    private void settle() throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            primaryLoop.next().submit(() -> { }).sync();
        }
    }

    private void reply(Channel inPeer, long seq) {
        inPeer.writeAndFlush(new OutgoingFrame(VERSION, ReplyHeader.done(seq).toNv()));
    }

    private void awaitCompleted(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (completed.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(count, completed.get(), "completions");
    }

    private void assertEachCompletedOnce(List<Hio> hios) {
        for (Hio hio : hios) {
            AtomicInteger count = completions.get(hio);
            assertNotNull(count, hio + " was never completed");
            assertEquals(1, count.get(), hio + " completions");
        }
    }

    @Test
    void requestsWaitWhileTheConnectionIsNotWritableAndLeaveInOrderOnceItIs() throws Exception {
        Channel[] pair = connect();
        setWritable(pair[0], false);
        List<Hio> hios = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Hio hio = write(i * 4096L);
            hios.add(hio);
            remote.submit(hio);
        }
        settle();
        assertEquals(20, remote.queued(), "held back while not writable");
        assertEquals(0, remote.inFlight());
        assertNull(requests.poll(200, TimeUnit.MILLISECONDS), "nothing reached the secondary");

        setWritable(pair[0], true);
        long lastSeq = 0;
        for (int i = 0; i < 20; i++) {
            RequestHeader request = requests.poll(10, TimeUnit.SECONDS);
            assertNotNull(request, "request " + i);
            assertEquals(i * 4096L, request.offset(), "submission order kept");
            assertTrue(request.seq() > lastSeq);
            lastSeq = request.seq();
            reply(pair[3], request.seq());
        }
        awaitCompleted(20);
        assertEachCompletedOnce(hios);
        hios.forEach(hio -> assertEquals(0, errors.get(hio)));
        assertEquals(0, remote.queued());
        assertEquals(0, remote.inFlight());
    }

    /**
     * A client's 1 MiB write, eight 128 KiB frames queued at once, leaves in one flush: with
     * Netty's default water mark each frame was a flush of its own (and, once its gathering
     * limit had shrunk, two system calls), issue #15.
     */
    @Test
    void eightFramesOfAMebibyteLeaveInOneFlush() throws Exception {
        Channel[] pair = connect();
        AtomicInteger flushes = new AtomicInteger();
        pair[0].pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
            }
        });
        int size = PrimaryPipeline.MAX_REQUEST_BYTES;
        List<Hio> hios = new ArrayList<>();
        for (int i = 0; i < (1 << 20) / size; i++) {
            hios.add(new Hio(HioCommand.WRITE, (long) i * size, size, Unpooled.wrappedBuffer(new byte[size]),
                    errno -> { }));
        }
        primaryLoop.next().submit(() -> hios.forEach(remote::submit)).sync(); // one burst, as a split write
        for (int i = 0; i < hios.size(); i++) {
            RequestHeader request = requests.poll(10, TimeUnit.SECONDS);
            assertNotNull(request, "request " + i);
            reply(pair[3], request.seq());
        }
        awaitCompleted(hios.size());
        assertEquals(1, flushes.get(), "flushes for the eight frames");
    }

    /**
     * async: a write whose mark completed on another thread (the activemap flusher) is queued
     * before its local part starts, so a FLUSH the client sends once that is acknowledged,
     * submitted on the loop itself, must still reach the secondary after it, even though the
     * loop could write the FLUSH at once.
     */
    @Test
    void aRequestSubmittedOnTheLoopDoesNotOvertakeOneQueuedFromAnotherThread() throws Exception {
        Channel[] pair = connect();
        Hio write = write(8192);
        Hio flush = new Hio(HioCommand.FLUSH, 0, 0, null, errno -> { });
        primaryLoop.next().submit(() -> {
            Thread flusher = new Thread(() -> remote.submit(write));
            flusher.start();
            flusher.join();
            remote.submit(flush);
            return null;
        }).sync();
        RequestHeader first = requests.poll(10, TimeUnit.SECONDS);
        RequestHeader second = requests.poll(10, TimeUnit.SECONDS);
        assertNotNull(second);
        assertEquals(HioCommand.WRITE, first.cmd());
        assertEquals(HioCommand.FLUSH, second.cmd());
        reply(pair[3], first.seq());
        reply(pair[3], second.seq());
        awaitCompleted(2);
        assertEachCompletedOnce(List.of(write, flush));
    }

    /**
     * A single-piece client write shares the client's buffer instead of slicing it: the bytes
     * sent are the ones the request was made over, wherever the buffer's indices are by then.
     */
    @Test
    void aWriteSendsTheBytesItWasMadeOverWhateverTheBuffersIndicesSayLater() throws Exception {
        connect();
        byte[] data = new byte[4096];
        new java.util.Random(7).nextBytes(data);
        ByteBuf buffer = Unpooled.buffer(100 + data.length).writeZero(100).writeBytes(data);
        buffer.readerIndex(100);
        Hio hio = new Hio(HioCommand.WRITE, 0, data.length, buffer, errno -> { });
        buffer.clear().writerIndex(10); // the caller reuses its buffer's indices
        remote.submit(hio);
        assertNotNull(requests.poll(10, TimeUnit.SECONDS));
        assertArrayEquals(data, payloads.poll(10, TimeUnit.SECONDS));
    }

    /**
     * With {@code compression hole} (the default) and no checksum, data goes as it is without
     * the codec, zeros as a hole: what the reference sends (issue #15 took the codec, and its
     * view of the payload, off the path of data that is not all zeros).
     */
    @Test
    void aHoleCompressingLinkSendsDataAsItIsAndZerosAsAHole() throws Exception {
        remote.close();
        remote = remote(new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.NONE));
        connect();
        byte[] data = new byte[4096];
        data[4095] = 1; // only the last word is not zero: the full scan must find it
        for (byte[] payload : List.of(data, new byte[4096], new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 2})) {
            remote.submit(new Hio(HioCommand.WRITE, 0, payload.length, Unpooled.wrappedBuffer(payload), errno -> { }));
        }
        PayloadFields asItIs = payloadFields.poll(10, TimeUnit.SECONDS);
        assertEquals(new PayloadFields(null, null, null, 4096), asItIs);
        assertArrayEquals(data, payloads.poll(10, TimeUnit.SECONDS));
        assertEquals(new PayloadFields("hole", null, null, 4), payloadFields.poll(10, TimeUnit.SECONDS));
        assertArrayEquals(new byte[] {0, 16, 0, 0}, payloads.poll(10, TimeUnit.SECONDS), "4096, little-endian");
        assertEquals(new PayloadFields(null, null, null, 10), payloadFields.poll(10, TimeUnit.SECONDS),
                "a non-zero byte after the last whole word");
    }

    @Test
    void allZeroLooksAtEveryByteInTheRange() {
        ByteBuf buffer = Unpooled.buffer(64).writeZero(64);
        buffer.setByte(0, 9).setByte(63, 9);
        for (int length = 1; length <= 62; length++) {
            assertTrue(RemoteIo.allZero(buffer, 1, length), "zeros, length " + length);
            buffer.setByte(length, 1);
            assertFalse(RemoteIo.allZero(buffer, 1, length), "a one at the end, length " + length);
            buffer.setByte(length, 0);
        }
        assertFalse(RemoteIo.allZero(buffer, 1, 0), "an empty range is no hole");
    }

    @Test
    void repliesRacingADetachCompleteEveryRequestExactlyOnce() throws Exception {
        List<Hio> hios = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            Channel[] pair = connect();
            List<RequestHeader> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Hio hio = write(i * 4096L);
                hios.add(hio);
                remote.submit(hio);
            }
            for (int i = 0; i < 100; i++) {
                RequestHeader request = requests.poll(10, TimeUnit.SECONDS);
                assertNotNull(request, "request " + i);
                sent.add(request);
            }
            // Queued behind a connection that takes nothing: the detach must fail these too.
            setWritable(pair[0], false);
            for (int i = 0; i < 20; i++) {
                Hio hio = write(i * 4096L);
                hios.add(hio);
                remote.submit(hio);
            }
            CountDownLatch go = new CountDownLatch(1);
            Thread replier = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                sent.forEach(request -> reply(pair[3], request.seq()));
            });
            replier.start();
            go.countDown();
            Thread.sleep(round); // each round lets a different share of the replies in first
            remote.detach();
            replier.join();
            awaitCompleted(hios.size());
            for (Channel channel : pair) {
                channel.close().sync();
            }
        }
        assertEachCompletedOnce(hios);
        hios.forEach(hio -> assertTrue(errors.get(hio) == 0 || errors.get(hio) == ENOTCONN, hio + ": "
                + errors.get(hio)));
        assertEquals(0, remote.queued());
        assertEquals(0, remote.inFlight());
    }

    /**
     * memsync: a "received" reply is being handled when the link drops and the sweep completes
     * the request's remote part. The request must not finish, nor its Hio go back to the pool
     * for the next request, until that reply is done with it, or the reply's end would count
     * for the Hio's next use (which then completed before its own parts did). The sweep runs
     * inside the reply's handling here, on the loop: the interleaving, without a thread race.
     */
    @Test
    void aReceivedReplyHoldsItsRequestUntilHandledSoALateOneNeverReachesTheHiosNextUse() throws Exception {
        remote.close();
        HioPool pool = new HioPool(1, hio -> { });
        AtomicInteger finished = new AtomicInteger();
        AtomicReference<Hio> nextUse = new AtomicReference<>();
        // The pipeline's part: a request finishes with its last component and goes back to the pool.
        Consumer<Hio> componentDone = hio -> {
            if (hio.componentDone()) {
                finished.incrementAndGet();
                pool.release(hio);
            }
        };
        remote = new RemoteIo(new PayloadCodec(), PrimaryPipeline.MAX_REQUEST_BYTES, 300, new AtomicLong(1),
                primaryLoop.next(), componentDone, hio -> {
                    remote.detach();
                    Hio next = pool.acquire(HioCommand.WRITE, 0, 4096, null, errno -> { });
                    next.expectComponents(2);
                    nextUse.set(next);
                    componentDone.accept(hio); // the end of the reply's hold
                });
        Channel[] pair = connect();
        Hio first = pool.acquire(HioCommand.WRITE, 0, 4096, Unpooled.wrappedBuffer(new byte[4096]), errno -> { });
        first.memsync = true;
        first.expectComponents(1); // its local part is done: the remote part is the last
        remote.submit(first);
        RequestHeader request = requests.poll(10, TimeUnit.SECONDS);
        assertNotNull(request);
        pair[3].writeAndFlush(new OutgoingFrame(VERSION, ReplyHeader.received(request.seq()).toNv()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (finished.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        settle();
        assertEquals(1, finished.get(), "the request finished once, when the reply was done with it");
        Hio next = nextUse.get();
        assertNotNull(next);
        assertNotSame(first, next, "the Hio went back to the pool while a reply still worked on it");
        assertFalse(next.componentDone(), "the next request lost a component to the late reply");
        assertTrue(next.componentDone());
        assertEquals(1, pool.idle(), "the Hio is back in the pool once");
        assertFalse(remote.receivedFirst(request.seq()), "a late reply found a request");
        for (Channel channel : pair) {
            channel.close().sync();
        }
    }

    @Test
    void aSilentSecondaryIsDisconnectedByTheLoopsTimeoutCheck() throws Exception {
        remote.setReplyTimeout(1);
        Channel[] pair = connect();
        Hio hio = write(0);
        remote.submit(hio);
        assertNotNull(requests.poll(10, TimeUnit.SECONDS));
        // Never answered: the check that replaced the sender thread's poll closes both connections.
        assertTrue(pair[0].closeFuture().await(20, TimeUnit.SECONDS), "out closed");
        assertTrue(pair[1].closeFuture().await(20, TimeUnit.SECONDS), "in closed");
        remote.detach(); // what the link's close listener does
        awaitCompleted(1);
        assertEquals(ENOTCONN, errors.get(hio));
    }

    @Test
    void closeFailsQueuedRequestsOnceAndRefusesNewOnes() throws Exception {
        Channel[] pair = connect();
        setWritable(pair[0], false);
        List<Hio> hios = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Hio hio = write(i * 4096L);
            hios.add(hio);
            remote.submit(hio);
        }
        remote.close();
        Hio late = write(0);
        remote.submit(late);
        hios.add(late);
        awaitCompleted(4);
        assertEachCompletedOnce(hios);
        hios.forEach(hio -> assertEquals(RemoteIo.ESHUTDOWN, errors.get(hio)));
    }
}
