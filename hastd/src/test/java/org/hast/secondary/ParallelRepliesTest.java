package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.CodecException;
import org.hast.codec.Compression;
import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.local.LocalComponent;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;

/**
 * Many requests of many sizes in flight through four appliers, the replies decoded as the
 * primary decodes them: every READ reply must carry its own request's bytes, exactly as many as
 * asked, and every WRITE must land, whatever the payload stages (compression, checksum) do.
 * Before each applier had its own payload codec, two appliers encoding at once swapped each
 * other's result: a reply went out with another read's {@code size} over its own data, and the
 * primary lost the frame boundary (DiskFaultIT: "Remote READ reply has 45056 bytes, 131072
 * expected", then "Unsupported protocol version 72").
 */
class ParallelRepliesTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 2048;
    private static final long DATA_SIZE = (long) BLOCKS * BLOCK;
    private static final int MAX_REQUEST = 128 * 1024;
    private static final int REQUESTS = 1000;
    /** Below the disk queue's high water: the test thread is not the loop that would resume it. */
    private static final int IN_FLIGHT = 96;
    private static final long GUARD_SECONDS = 60;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private final DiskQueue queue = new DiskQueue();
    private final EmbeddedChannel receiveSide = new EmbeddedChannel();
    private final Semaphore window = new Semaphore(IN_FLIGHT);
    private final Map<Long, long[]> reads = new ConcurrentHashMap<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final byte[] image = new byte[(int) DATA_SIZE];
    private LocalComponent local;
    private SecondaryDisk disk;
    private Thread diskThread;
    private Channel client;

    @AfterEach
    void tearDown() throws Exception {
        if (diskThread != null) {
            disk.stop();
            diskThread.join(5000);
        }
        queue.drain();
        if (client != null) {
            client.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        receiveSide.finishAndReleaseAll();
        if (local != null) {
            local.close();
        }
    }

    /** The default (hole) as in DiskFaultIT, and with both payload stages at work. */
    @ParameterizedTest
    @CsvSource({"HOLE, NONE", "LZF, CRC32"})
    void everyReadReplyCarriesItsOwnRequestsBytes(Compression compression, ChecksumAlgorithm checksum)
            throws Exception {
        // A third of the blocks zero (hole-compressed to 4 bytes), the rest data: replies of many sizes.
        start(compression, checksum);
        SplittableRandom random = new SplittableRandom(15);
        for (long seq = 1; seq <= REQUESTS && violations.isEmpty(); seq++) {
            int blocks = 1 + random.nextInt(MAX_REQUEST / BLOCK);
            long offset = (long) random.nextInt(BLOCKS - blocks + 1) * BLOCK;
            long length = (long) blocks * BLOCK;
            acquire();
            reads.put(seq, new long[] {offset, length});
            queue.add(new SecondaryRequest(RequestHeader.read(seq, offset, length), null, null, 0));
        }
        awaitAllAnswered();
        assertTrue(violations.isEmpty(), () -> violations.size() + " wrong replies, first: " + violations.peek());
    }

    @Test
    void everyWriteLandsWhateverThePayloadStages() throws Exception {
        start(Compression.LZF, ChecksumAlgorithm.SHA256);
        PayloadCodec sender = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.SHA256);
        ByteBuffer scratch = ByteBuffer.allocate(MAX_REQUEST);
        SplittableRandom random = new SplittableRandom(16);
        byte[] expected = image.clone();
        // Each request writes its own block range, so the order of the appliers cannot show.
        for (int block = 0, seq = 1; block < BLOCKS && violations.isEmpty(); seq++) {
            int blocks = Math.min(BLOCKS - block, 1 + random.nextInt(MAX_REQUEST / BLOCK));
            int length = blocks * BLOCK;
            byte[] data = new byte[length];
            for (int b = 0; b < blocks; b++) {
                fillBlock(data, b * BLOCK, block + b, random.nextInt(3));
            }
            System.arraycopy(data, 0, expected, block * BLOCK, length);
            EncodedPayload encoded = sender.encode(ByteBuffer.wrap(data), scratch.clear());
            ByteBuf payload = Unpooled.directBuffer(encoded.size()).writeBytes(encoded.payload().duplicate());
            PayloadFields fields = new PayloadFields(encoded.compressionName(), encoded.checksumName(),
                    encoded.checksumName() == null ? null : encoded.hashCopy(), encoded.size());
            acquire();
            queue.add(new SecondaryRequest(RequestHeader.write(seq, (long) block * BLOCK, length, false), fields,
                    payload, 0));
            block += blocks;
        }
        awaitAllAnswered();
        assertTrue(violations.isEmpty(), () -> violations.size() + " failures, first: " + violations.peek());
        byte[] onDisk = new byte[(int) DATA_SIZE];
        local.readFully(ByteBuffer.wrap(onDisk), LOCAL_OFFSET);
        assertTrue(Arrays.equals(expected, onDisk), "the disk does not hold what was written");
    }

    private void start(Compression compression, ChecksumAlgorithm checksum) throws Exception {
        SplittableRandom random = new SplittableRandom(14);
        for (int block = 0; block < BLOCKS; block++) {
            fillBlock(image, block * BLOCK, block, random.nextInt(3));
        }
        Path file = dir.resolve("disk");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + DATA_SIZE);
            raf.seek(LOCAL_OFFSET);
            raf.write(image);
        }
        local = LocalComponent.open(file);
        LocalAddress address = new LocalAddress("parallel-replies-" + System.nanoTime());
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024),
                                new PrimarySide());
                    }
                }).bind(address).syncUninterruptibly();
        client = new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        channel.pipeline().addLast(HastFrameEncoder.INSTANCE);
                    }
                }).connect(address).syncUninterruptibly().channel();
        queue.setReceiveChannel(receiveSide);
        disk = new SecondaryDisk(queue, local, LOCAL_OFFSET, () -> new PayloadCodec(compression, checksum),
                new WorkerStats(), client, 2, MAX_REQUEST, () -> violations.add("the secondary gave up"), 4);
        diskThread = new Thread(disk, "disk");
        diskThread.start();
    }

    /**
     * Block {@code index}: zeros (kind 0), or bytes that name the block (so a reply of another
     * range shows), either repetitive (kind 1, compresses) or not (kind 2).
     */
    private static void fillBlock(byte[] into, int at, int index, int kind) {
        if (kind == 0) {
            Arrays.fill(into, at, at + BLOCK, (byte) 0);
            return;
        }
        SplittableRandom noise = new SplittableRandom(index);
        for (int i = 0; i < BLOCK; i += 4) {
            int word = kind == 1 ? index * 31 + (i & 0xff) : noise.nextInt();
            into[at + i] = (byte) index;
            into[at + i + 1] = (byte) (index >> 8);
            into[at + i + 2] = (byte) word;
            into[at + i + 3] = (byte) (word >> 8);
        }
    }

    private void acquire() throws InterruptedException {
        if (!window.tryAcquire(GUARD_SECONDS, TimeUnit.SECONDS)) {
            violations.add("no reply for " + GUARD_SECONDS + " s");
        }
    }

    private void awaitAllAnswered() throws InterruptedException {
        if (violations.isEmpty()) {
            assertTrue(window.tryAcquire(IN_FLIGHT, GUARD_SECONDS, TimeUnit.SECONDS) || !violations.isEmpty(),
                    "replies are missing");
        }
    }

    /** Decodes the replies as the primary does, on the loop. */
    private final class PrimarySide extends ChannelInboundHandlerAdapter {
        private final PayloadCodec codec = new PayloadCodec();
        private final ByteBuffer decoded = ByteBuffer.allocateDirect(MAX_REQUEST);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
            HastFrame frame = (HastFrame) message;
            try {
                ReplyHeader reply = ReplyHeader.fromNv(frame.nv());
                if (reply.error() != 0) {
                    violations.add("request " + reply.seq() + " failed: " + reply.error());
                }
                long[] read = reads.remove(reply.seq());
                if (read != null) {
                    check(reply.seq(), read[0], (int) read[1], frame);
                }
            } finally {
                frame.release();
                window.release();
            }
        }

        private void check(long seq, long offset, int length, HastFrame frame) {
            PayloadFields fields = PayloadFields.fromNv(frame.nv());
            ByteBuffer data;
            try {
                data = codec.decode(fields.compression(), fields.checksum(), fields.hash(),
                        frame.payload().nioBuffer(), decoded.clear());
            } catch (CodecException e) {
                violations.add("READ " + seq + ": " + e.getMessage());
                return;
            }
            if (data.remaining() != length) {
                violations.add("READ " + seq + " reply has " + data.remaining() + " bytes, " + length + " expected");
                return;
            }
            byte[] got = new byte[length];
            data.duplicate().get(got);
            if (!Arrays.equals(got, 0, length, image, (int) offset, (int) offset + length)) {
                violations.add("READ " + seq + " reply holds other bytes than " + offset + "+" + length);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            violations.add("reply stream broken: " + cause.getMessage());
            ctx.close();
            // Nothing more will be answered: let the test thread see it.
            window.release(REQUESTS);
        }
    }
}
