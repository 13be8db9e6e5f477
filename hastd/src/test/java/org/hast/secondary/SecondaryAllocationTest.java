package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.local.LocalComponent;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.hast.testing.NettyThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;

/**
 * The secondary's threads allocate next to nothing per request (issue #15): the real receive
 * side, disk queue, applier and reply batch, driven for thousands of 4 KiB writes, memsync
 * writes and reads, and the disk queue's hand-off to a parked taker. HotSpot's per-thread
 * allocation counter, no timing; on the build before, a request cost about 300 bytes on the
 * receive-to-reply path and a hand-off about 40.
 */
class SecondaryAllocationTest {
    private static final long LOCAL_OFFSET = 8192;
    private static final long DATA_SIZE = 1L << 20;
    private static final int BLOCK = 4096;
    private static final int MAX_REQUEST = 1 << 20;
    /** Requests per round: below the queue's high water, so reading never pauses. */
    private static final int ROUND = 96;

    @TempDir
    Path dir;

    @Test
    void aRequestAllocatesNextToNothingFromReceiveToReply() throws Throwable {
        Path file = dir.resolve("disk");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(LOCAL_OFFSET + DATA_SIZE);
        }
        long[] perHundred = {Long.MAX_VALUE};
        try (LocalComponent local = LocalComponent.open(file)) {
            ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
            // the leak detector's records (a stack trace per slice) would be all that is measured
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
            try {
                // A netty thread, as the event loop and the appliers are (their pooled buffers' caches).
                NettyThread.run("secondary-alloc", () -> perHundred[0] = leastBytesPerHundredRequests(local));
            } finally {
                ResourceLeakDetector.setLevel(level);
            }
            byte[] expected = pattern(4);
            ByteBuffer written = ByteBuffer.allocate(BLOCK);
            local.readFully(written, LOCAL_OFFSET + 4L * BLOCK);
            assertArrayEquals(expected, written.array(), "the writes reached the disk");
        }
        System.out.println("SecondaryAllocationTest: " + perHundred[0] / 100.0 + " bytes per request");
        assertTrue(perHundred[0] < 1600, perHundred[0] / 100.0 + " bytes allocated per request");
    }

    private static long leastBytesPerHundredRequests(LocalComponent local) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        WorkerStats stats = new WorkerStats();
        AtomicInteger fatal = new AtomicInteger();
        EmbeddedChannel out = new EmbeddedChannel(HastFrameEncoder.INSTANCE);
        DiskQueue queue = new DiskQueue();
        EmbeddedChannel in = new EmbeddedChannel(new HastFrameDecoder(64 * 1024, MAX_REQUEST + 1024),
                new RequestReceiver(queue, stats, out, 2, DATA_SIZE, 512, MAX_REQUEST, fatal::incrementAndGet));
        queue.setReceiveChannel(in);
        SecondaryDisk disk = new SecondaryDisk(queue, local, LOCAL_OFFSET, PayloadCodec::new, stats, out, 2,
                MAX_REQUEST, fatal::incrementAndGet, 1);
        // The default: zeros would travel as a hole, so a READ encodes into a scratch buffer.
        PayloadCodec codec = new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.NONE);
        ByteBuffer decodeBuffer = ByteBuffer.allocateDirect(MAX_REQUEST);
        PayloadViews views = new PayloadViews();
        long least = Long.MAX_VALUE;
        ByteBuf input = requests();
        try {
            checkReplies(round(input, in, queue, disk, codec, decodeBuffer, views, out, true));
            long id = Thread.currentThread().getId();
            for (int run = 0; run < 60; run++) {
                long before = threads.getThreadAllocatedBytes(id);
                round(input, in, queue, disk, codec, decodeBuffer, views, out, false);
                least = Math.min(least, threads.getThreadAllocatedBytes(id) - before);
            }
        } finally {
            input.release();
        }
        assertEquals(0, fatal.get());
        assertEquals(0, queue.queued());
        in.finishAndReleaseAll();
        out.finishAndReleaseAll();
        return least * 100 / ROUND;
    }

    /**
     * One read's worth of requests through receiver, queue and applier, and the replies out of
     * the reply channel: kept when {@code keep}, released otherwise.
     */
    private static List<ByteBuf> round(ByteBuf input, EmbeddedChannel in, DiskQueue queue, SecondaryDisk disk,
            PayloadCodec codec, ByteBuffer decodeBuffer, PayloadViews views, EmbeddedChannel out, boolean keep)
            throws InterruptedException {
        input.retain().readerIndex(0); // the decoder releases what it is given
        in.pipeline().fireChannelRead(input);
        in.pipeline().fireChannelReadComplete();
        for (int n = queue.queued(); n > 0; n--) {
            SecondaryRequest request = queue.take();
            try {
                disk.apply(request, codec, decodeBuffer, views);
            } finally {
                request.release();
            }
        }
        out.runPendingTasks();
        List<ByteBuf> replies = keep ? new ArrayList<>() : null;
        Object reply;
        while ((reply = out.readOutbound()) != null) {
            if (keep) {
                replies.add((ByteBuf) reply);
            } else {
                ReferenceCountUtil.release(reply);
            }
        }
        return replies;
    }

    /** Request i: a write of block i, a memsync write of it, or a read of block i - 1, in turn. */
    private static ByteBuf requests() {
        ByteBuf input = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (int i = 0; i < ROUND; i++) {
            long seq = i + 1;
            NvWriter nv = switch (i % 3) {
                case 0, 1 -> new PayloadFields(null, null, null, BLOCK)
                        .appendTo(RequestHeader.write(seq, (long) i * BLOCK, BLOCK, i % 3 == 1).toNv());
                default -> RequestHeader.read(seq, (long) (i - 1) * BLOCK, BLOCK).toNv();
            };
            ByteBuf header = HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, 2, nv);
            input.writeBytes(header);
            header.release();
            if (i % 3 != 2) {
                input.writeBytes(pattern(i));
            }
        }
        return input;
    }

    private static byte[] pattern(int block) {
        byte[] data = new byte[BLOCK];
        for (int j = 0; j < BLOCK; j++) {
            data[j] = (byte) (block * 31 + j);
        }
        return data;
    }

    /** Every request answered once, a memsync write twice (received first), a read with its block's data. */
    private static void checkReplies(List<ByteBuf> replies) throws Exception {
        int[] done = new int[ROUND + 1];
        boolean[] received = new boolean[ROUND + 1];
        for (int i = 0; i < replies.size(); i++) {
            ByteBuf reply = replies.get(i);
            NvMessage nv = NvMessage.decode(reply.nioBuffer(FrameHeader.HEADER_SIZE,
                    reply.readableBytes() - FrameHeader.HEADER_SIZE));
            int seq = (int) nv.getUint64(ReplyHeader.FIELD_SEQ);
            assertEquals(0, nv.getInt16(ReplyHeader.FIELD_ERROR), "seq " + seq);
            if (ReplyHeader.receivedIn(nv)) {
                assertEquals(0, done[seq], "received before done, seq " + seq);
                received[seq] = true;
            } else {
                done[seq]++;
            }
            if (nv.has(PayloadFields.FIELD_SIZE)) {
                ByteBuf data = replies.get(++i);
                assertArrayEquals(pattern(seq - 2), ByteBufUtil.getBytes(data), "read " + seq);
            }
        }
        for (int seq = 1; seq <= ROUND; seq++) {
            assertEquals(1, done[seq], "replies to " + seq);
            assertEquals((seq - 1) % 3 == 1, received[seq], "early reply to " + seq);
        }
        replies.forEach(ByteBuf::release);
    }

    @Test
    void handingARequestToAParkedTakerAllocatesNothing() throws Throwable {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int handOffs = 3000;
        DiskQueue queue = new DiskQueue();
        EmbeddedChannel in = new EmbeddedChannel();
        queue.setReceiveChannel(in);
        SecondaryRequest[] requests = new SecondaryRequest[handOffs];
        for (int i = 0; i < handOffs; i++) {
            requests[i] = new SecondaryRequest(RequestHeader.flush(i + 1), null, null, 0);
        }
        AtomicInteger taken = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Thread taker = new Thread(() -> {
            try {
                for (int i = 0; i < handOffs; i++) {
                    SecondaryRequest request = queue.take();
                    if (request != requests[i]) {
                        throw new AssertionError("request " + i + " out of order");
                    }
                    taken.incrementAndGet();
                }
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "taker");
        taker.start();
        long before = 0;
        long after = 0;
        for (int i = 0; i < handOffs; i++) {
            // The taker waits in take (parked) before each request arrives.
            while (taker.getState() != Thread.State.WAITING && failure[0] == null) {
                Thread.onSpinWait();
            }
            if (i == handOffs / 2) {
                before = threads.getThreadAllocatedBytes(taker.getId());
            } else if (i == handOffs - 1) {
                after = threads.getThreadAllocatedBytes(taker.getId());
            }
            queue.add(requests[i]);
            while (taken.get() == i && failure[0] == null) {
                Thread.onSpinWait();
            }
        }
        taker.join();
        in.finishAndReleaseAll();
        assertNull(failure[0]);
        assertEquals(handOffs, taken.get());
        long perHundred = (after - before) * 100 / (handOffs - 1 - handOffs / 2);
        System.out.println("SecondaryAllocationTest: " + perHundred / 100.0 + " bytes per hand-off");
        assertTrue(perHundred < 400, perHundred / 100.0 + " bytes allocated per hand-off to a parked taker");
    }
}
