package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.FastThreadLocalThread;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link HastFrameDecoder#reuseFrames}: the data path's one frame and nv view rebound to every
 * message. Each message must read exactly as the copying decoder reads it (every captured
 * vector in every cut, and seeded random frames), a consumer that misuses a reused frame must
 * fail loudly, one that keeps it must get kept frames instead, and the steady state must
 * allocate next to nothing per frame (HotSpot's per-thread allocation counter; no timing).
 */
@ExtendWith(LeakWatch.class)
class ReusedFramesTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Reads every frame as it arrives (as ReplyReceiver and RequestReceiver do), then releases it. */
    private static final class Reader extends ChannelInboundHandlerAdapter {
        private final Consumer<HastFrame> check;
        final List<HastFrame> seen = new ArrayList<>();
        boolean release = true;

        Reader(Consumer<HastFrame> check) {
            this.check = check;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().get(HastFrameDecoder.class).reuseFrames();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            HastFrame frame = (HastFrame) msg;
            seen.add(frame);
            check.accept(frame);
            if (release) {
                frame.release();
            }
        }
    }

    private static EmbeddedChannel channel(Reader reader) {
        return new EmbeddedChannel(new HastFrameDecoder(), reader);
    }

    @Test
    void everyVectorInEveryCutReadsAsTheCopyingDecoderReadsIt() throws Exception {
        List<Message> messages = VectorStreams.messages();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        messages.forEach(m -> stream.writeBytes(VectorStreams.frame(m)));
        for (VectorStreams.Cut cut : VectorStreams.Cut.values()) {
            int[] next = {0};
            Reader reader = new Reader(f -> {
                Message m = messages.get(next[0]++);
                assertEquals(m.version(), f.version(), m.name());
                assertEquals(copyingDecode(Arrays.copyOfRange(m.raw(), 5, 5 + m.nvSize())).dump(), f.nv().dump(),
                        m.name());
                assertEquals(m.nvSize(), f.nv().length(), m.name());
                assertArrayEquals(VectorStreams.payload(m), ByteBufUtil.getBytes(f.payload()), m.name());
            });
            EmbeddedChannel ch = channel(reader);
            List<ByteBuf> pieces = VectorStreams.cut(stream.toByteArray(), cut, new Random(7), ALLOC);
            for (ByteBuf piece : pieces) {
                ch.writeInbound(piece);
            }
            assertEquals(messages.size(), next[0], cut.name());
            assertTrue(reader.seen.stream().allMatch(f -> f == reader.seen.get(0)),
                    "one frame object for the whole stream (" + cut + ")");
            assertFalse(ch.finish());
            for (ByteBuf piece : pieces) {
                assertEquals(0, piece.refCnt(), "every input buffer released");
            }
        }
    }

    @Test
    void randomFramesReadAsTheCopyingDecoderReadsThem() {
        Random random = new Random(15);
        for (int round = 0; round < 200; round++) {
            List<byte[]> nvs = new ArrayList<>();
            List<byte[]> payloads = new ArrayList<>();
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            for (int i = 1 + random.nextInt(20); i > 0; i--) {
                byte[] payload = new byte[random.nextBoolean() ? 0 : 1 + random.nextInt(70_000)];
                random.nextBytes(payload);
                byte[] nv = randomNv(random, payload.length);
                nvs.add(nv);
                payloads.add(payload);
                stream.writeBytes(frame(2, nv, payload));
            }
            int[] next = {0};
            EmbeddedChannel ch = channel(new Reader(f -> {
                int i = next[0]++;
                assertEquals(copyingDecode(nvs.get(i)).dump(), f.nv().dump());
                NvMessage copy = copyingDecode(nvs.get(i));
                for (String name : new String[] {"cmd", "seq", "offset", "length", "error", "size"}) {
                    assertEquals(copy.typeOf(name), f.nv().typeOf(name), name);
                    assertEquals(copy.getUint64(name), f.nv().getUint64(name), name);
                }
                assertEquals(copy.getString("checksum"), f.nv().getString("checksum"));
                assertEquals(copy.getUint8Array("hash"), f.nv().getUint8Array("hash"));
                assertArrayEquals(payloads.get(i), ByteBufUtil.getBytes(f.payload()));
            }));
            for (ByteBuf piece : VectorStreams.cut(stream.toByteArray(), VectorStreams.Cut.RANDOM, random, ALLOC)) {
                ch.writeInbound(piece);
            }
            assertEquals(nvs.size(), next[0]);
            assertFalse(ch.finish());
        }
    }

    /** A request- or reply-like nv: the data path's fields, some missing, some mistyped. */
    private static byte[] randomNv(Random random, int payloadSize) {
        NvWriter nv = new NvWriter();
        if (random.nextInt(8) != 0) {
            nv.addUint8("cmd", random.nextInt(6));
        }
        nv.addUint64("seq", random.nextLong());
        if (random.nextBoolean()) {
            nv.addUint64("offset", random.nextLong()).addUint64("length", random.nextInt(1 << 20));
        } else if (random.nextBoolean()) {
            nv.addUint32("offset", random.nextInt() & 0xffff_ffffL);
        }
        if (random.nextInt(4) == 0) {
            nv.addInt16("error", (short) random.nextInt());
        }
        if (random.nextInt(4) == 0) {
            byte[] hash = new byte[1 + random.nextInt(32)];
            random.nextBytes(hash);
            nv.addString("checksum", random.nextBoolean() ? "crc32" : "sha256").addUint8Array("hash", hash);
        }
        for (int extra = random.nextInt(3); extra > 0; extra--) {
            nv.addString("x" + random.nextInt(1000), "v".repeat(1 + random.nextInt(300)));
        }
        if (payloadSize > 0) {
            nv.addUint32("size", payloadSize);
        }
        return bytesOf(nv.encode());
    }

    // ---- lifetime --------------------------------------------------------------------------

    @Test
    void aReleasedFrameAndItsViewRefuseEveryRead() {
        HastFrame[] kept = new HastFrame[1];
        NvMessage[] view = new NvMessage[1];
        EmbeddedChannel ch = channel(new Reader(f -> {
            kept[0] = f;
            view[0] = f.nv();
        }));
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 9).addUint32("size", 4).encode()),
                new byte[] {1, 2, 3, 4})));
        HastFrame f = kept[0];
        assertTrue(f.reused());
        assertEquals(0, f.refCnt());
        assertThrows(IllegalStateException.class, () -> view[0].getUint64("seq"));
        assertThrows(IllegalStateException.class, () -> view[0].size());
        assertThrows(IllegalReferenceCountException.class, f::nv);
        assertThrows(IllegalReferenceCountException.class, f::payload);
        assertThrows(IllegalReferenceCountException.class, f::version);
        assertThrows(IllegalReferenceCountException.class, f::release, "a second release");
        assertFalse(ch.finish());
    }

    @Test
    void aReusedFrameCannotBeRetainedButItsPayloadCan() {
        List<ByteBuf> payloads = new ArrayList<>();
        EmbeddedChannel ch = channel(new Reader(f -> {
            assertThrows(UnsupportedOperationException.class, f::retain);
            payloads.add(f.payload().retain());
        }));
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 1).addUint32("size", 3).encode()),
                new byte[] {7, 8, 9})));
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 2).addUint32("size", 3).encode()),
                new byte[] {4, 5, 6})));
        assertArrayEquals(new byte[] {7, 8, 9}, ByteBufUtil.getBytes(payloads.get(0)), "outlives its frame");
        assertArrayEquals(new byte[] {4, 5, 6}, ByteBufUtil.getBytes(payloads.get(1)));
        payloads.forEach(ByteBuf::release);
        assertFalse(ch.finish());
    }

    @Test
    void aFrameKeptByItsConsumerMakesTheNextOnesKeptFrames() {
        Reader reader = new Reader(f -> { });
        reader.release = false;
        EmbeddedChannel ch = channel(reader);
        for (long seq = 1; seq <= 3; seq++) {
            ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", seq).encode()), new byte[0])));
        }
        HastFrame first = reader.seen.get(0);
        assertTrue(first.reused());
        assertFalse(reader.seen.get(1).reused(), "the reused frame was still held");
        assertNotSame(reader.seen.get(1), reader.seen.get(2));
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, reader.seen.get(i).nv().getUint64("seq"), "each frame keeps its own message");
        }
        reader.seen.forEach(HastFrame::release);
        reader.release = true;
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 4).encode()), new byte[0])));
        assertSame(first, reader.seen.get(3), "released: reused again");
        assertFalse(ch.finish());
    }

    @Test
    void aKeptCopyOfAReusedFrameOutlivesIt() {
        List<HastFrame> copies = new ArrayList<>();
        EmbeddedChannel ch = channel(new Reader(f -> copies.add(f.retainedDuplicate())));
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 5).addUint32("size", 2).encode()),
                new byte[] {1, 2})));
        ch.writeInbound(buf(frame(2, bytesOf(new NvWriter().addUint64("seq", 6).encode()), new byte[0])));
        assertEquals(5, copies.get(0).nv().getUint64("seq"));
        assertArrayEquals(new byte[] {1, 2}, ByteBufUtil.getBytes(copies.get(0).payload()));
        assertEquals(6, copies.get(1).nv().getUint64("seq"));
        copies.forEach(HastFrame::release);
        assertFalse(ch.finish());
    }

    // ---- allocation ------------------------------------------------------------------------

    /**
     * Steady state, 4 KiB WRITE requests and their replies through one decoder: the copying
     * decoder allocated about 200 bytes per frame (nv copy, its wrapper and index, the message
     * and the frame); the reused frame must stay far below that.
     */
    @Test
    void decodingAllocatesAlmostNothingPerFrame() {
        Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "no per-thread allocation counter on this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);

        // on a thread like an event loop's, where Netty's recyclers keep their objects
        long[] perFrame = new long[1];
        Throwable[] failure = new Throwable[1];
        Thread loop = new FastThreadLocalThread(() -> {
            try {
                perFrame[0] = leastBytesPerHundredFrames(threads);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "decoder-loop");
        loop.start();
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertNull(failure[0]);
        System.out.println("ReusedFramesTest: " + perFrame[0] / 100.0 + " bytes allocated per frame");
        assertTrue(perFrame[0] < 1600, perFrame[0] / 100.0 + " bytes allocated per frame");
    }

    private static long leastBytesPerHundredFrames(com.sun.management.ThreadMXBean threads) {
        int frames = 2000;
        long[] sum = {0};
        EmbeddedChannel ch = channel(new Reader(f -> sum[0] += f.nv().getUint64("seq")
                + f.nv().getUint8("cmd") + f.nv().getUint64("offset") + f.payload().readableBytes()));
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < frames; i++) {
            long seq = i + 1;
            byte[] request = bytesOf(new NvWriter().addUint8("cmd", 2).addUint64("seq", seq)
                    .addUint64("offset", 4096L * i).addUint64("length", 4096).addUint32("size", 4096).encode());
            stream.writeBytes(frame(2, request, new byte[4096]));
            stream.writeBytes(frame(2, bytesOf(new NvWriter().addUint64("seq", seq).encode()), new byte[0]));
        }
        byte[] bytes = stream.toByteArray();
        long least = Long.MAX_VALUE;
        // the leak detector's records (a stack trace per slice) would be all that is measured
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            for (int run = 0; run < 6; run++) {
                ByteBuf in = ALLOC.directBuffer(bytes.length).writeBytes(bytes);
                long id = Thread.currentThread().getId();
                long before = threads.getThreadAllocatedBytes(id);
                ch.writeInbound(in);
                least = Math.min(least, threads.getThreadAllocatedBytes(id) - before);
            }
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        assertTrue(sum[0] != 0);
        assertFalse(ch.finish());
        return least * 100 / (2 * frames);
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** What the decoder made of every nv before: a message over a copy of its own. */
    private static NvMessage copyingDecode(byte[] nv) {
        try {
            return NvMessage.decode(nv.clone());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }

    private static byte[] frame(int version, byte[] nv, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(version);
        out.write(nv.length);
        out.write(nv.length >>> 8);
        out.write(nv.length >>> 16);
        out.write(nv.length >>> 24);
        out.writeBytes(nv);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static ByteBuf buf(byte[] bytes) {
        return ALLOC.buffer(bytes.length).writeBytes(bytes);
    }
}
