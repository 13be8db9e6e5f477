package org.hast.link;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvWriter;
import org.hast.proto.Frames;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link HastFrameDecoder} alone in an {@link EmbeddedChannel}: every captured message of the
 * reference's replication sessions, whole, one byte per read and in random pieces, then every
 * way a stream can be refused. After each case nothing is left over, every input buffer has
 * been released, and at the end the PARANOID leak detector has nothing to report.
 */
@ExtendWith(LeakWatch.class)
class HastFrameDecoderTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    // ---- captured vectors -------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> everyVectorInEveryCut() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Message m : VectorStreams.messages()) {
            for (VectorStreams.Cut cut : VectorStreams.Cut.values()) {
                tests.add(DynamicTest.dynamicTest(m.name() + " " + cut,
                        () -> decodeStream(List.of(m), cut, m.name().hashCode())));
            }
        }
        return tests.stream();
    }

    /**
     * All 100 messages as one stream, whole and in random pieces (one byte per read is covered
     * message by message above; the whole stream at one byte per read adds 15 s and nothing).
     */
    @TestFactory
    Stream<DynamicTest> allVectorsBackToBack() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("WHOLE",
                () -> decodeStream(VectorStreams.messages(), VectorStreams.Cut.WHOLE, 0)));
        for (long seed = 1; seed <= 5; seed++) {
            long s = seed;
            tests.add(DynamicTest.dynamicTest("RANDOM seed " + seed,
                    () -> decodeStream(VectorStreams.messages(), VectorStreams.Cut.RANDOM, s)));
        }
        return tests.stream();
    }

    /** Feeds the messages' frames as one stream and checks every decoded frame. */
    private static void decodeStream(List<Message> messages, VectorStreams.Cut cut, long seed) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        messages.forEach(m -> stream.writeBytes(VectorStreams.frame(m)));
        List<ByteBuf> pieces = VectorStreams.cut(stream.toByteArray(), cut, new Random(seed),
                ALLOC);
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        List<HastFrame> frames = new ArrayList<>();
        for (ByteBuf piece : pieces) {
            ch.writeInbound(piece);
            for (Object o; (o = ch.readInbound()) != null; ) {
                frames.add(assertInstanceOf(HastFrame.class, o));
            }
        }
        try {
            assertEquals(messages.size(), frames.size());
            for (int i = 0; i < frames.size(); i++) {
                Message m = messages.get(i);
                HastFrame f = frames.get(i);
                assertEquals(m.version(), f.version(), m.name());
                assertEquals(m.nvSize(), f.nv().length(), m.name());
                assertEquals(m.dump(), f.nv().dump(), m.name());
                assertArrayEquals(VectorStreams.payload(m), ByteBufUtil.getBytes(f.payload()),
                        m.name());
            }
        } finally {
            frames.forEach(HastFrame::release);
        }
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
        for (ByteBuf piece : pieces) {
            assertEquals(0, piece.refCnt(), "every input buffer released");
        }
    }

    @Test
    void payloadIsARetainedSliceNotACopy() {
        byte[] frame = frame(2, new NvWriter().addUint64("seq", 1).addUint32("size", 8),
                bytes("01 02 03 04 05 06 07 08"));
        ByteBuf in = ALLOC.buffer().writeBytes(frame);
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        ch.writeInbound(in);
        HastFrame f = ch.readInbound();
        assertSame(in.unwrap() == null ? in : in.unwrap(), unwrapAll(f.payload()),
                "the payload shares the input's memory");
        assertEquals(1, f.refCnt());
        assertEquals(1, in.refCnt(), "the slice keeps the input alive");
        assertTrue(f.release());
        assertEquals(0, in.refCnt());
        assertFalse(ch.finish());
    }

    private static ByteBuf unwrapAll(ByteBuf buf) {
        ByteBuf b = buf;
        while (b.unwrap() != null) {
            b = b.unwrap();
        }
        return b;
    }

    @Test
    void frameWithoutPayloadHoldsTheEmptyBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        ch.writeInbound(buf(frame(2, new NvWriter().addUint8("cmd", 5), new byte[0])));
        HastFrame f = ch.readInbound();
        assertSame(Unpooled.EMPTY_BUFFER, f.payload());
        assertEquals(5, f.nv().getUint8("cmd"));
        f.release();
        assertFalse(ch.finish());
    }

    @Test
    void emptyNvIsAFrameToo() {
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        ch.writeInbound(buf(bytes("01 00 00 00 00", "00 00 00 00 00")));
        HastFrame a = ch.readInbound();
        HastFrame b = ch.readInbound();
        assertEquals(1, a.version());
        assertEquals(0, a.nv().size());
        assertEquals(0, b.version());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void sizeOfAnotherTypeMeansNoPayload() {
        // hast_proto_recv_data reads size with nv_get_uint32: a uint64 size reads as 0
        byte[] first = frame(2, new NvWriter().addUint64("seq", 1).addUint64("size", 4),
                new byte[0]);
        byte[] second = frame(2, new NvWriter().addUint8("cmd", 5), new byte[0]);
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        ch.writeInbound(buf(concat(first, second)));
        HastFrame a = ch.readInbound();
        HastFrame b = ch.readInbound();
        assertEquals(0, a.payload().readableBytes());
        assertEquals(5, b.nv().getUint8("cmd"));
        assertFalse(ch.finish());
    }

    @Test
    void truncatedStreamAtCloseLeavesNothingBehind() {
        byte[] frame = frame(2, new NvWriter().addUint64("seq", 1).addUint32("size", 4096),
                new byte[4096]);
        for (int cut : new int[] {3, 5, 20, frame.length - 4096, frame.length - 1}) {
            ByteBuf in = buf(java.util.Arrays.copyOf(frame, cut));
            EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
            assertFalse(ch.writeInbound(in));
            assertFalse(ch.finish(), "a partial frame is dropped at close");
            assertEquals(0, in.refCnt());
        }
    }

    @Test
    void payloadCapCanBeRaisedForTheBitmap() {
        int mapSize = 2 << 20;
        byte[] frame = frame(2, new NvWriter().addUint32("mapsize", mapSize)
                .addUint32("size", mapSize), new byte[mapSize]);
        HastFrameDecoder decoder = new HastFrameDecoder();
        decoder.setMaxPayloadSize(mapSize);
        assertEquals(mapSize, decoder.maxPayloadSize());
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(buf(frame));
        HastFrame f = ch.readInbound();
        assertEquals(mapSize, f.payload().readableBytes());
        f.release();
        assertFalse(ch.finish());
        assertThrows(IllegalArgumentException.class, () -> decoder.setMaxPayloadSize(-1));
    }

    // ---- refusals ---------------------------------------------------------------------------

    @Test
    void versionAboveTwo() {
        for (int version : new int[] {3, 0x80, 0xff}) {
            byte[] frame = frame(2, new NvWriter().addUint8("cmd", 5), new byte[0]);
            frame[0] = (byte) version;
            HastFrameException e = refuse(new HastFrameDecoder(), frame);
            assertEquals(HastFrameException.Kind.VERSION, e.kind());
            assertEquals("Unsupported protocol version " + version
                    + " (this side speaks up to 2).", e.getMessage());
        }
    }

    @Test
    void versionIsJudgedFromTheHeaderAlone() {
        // five bytes are enough: the nv never has to arrive
        HastFrameException e = refuse(new HastFrameDecoder(), bytes("03 16 00 00 00"));
        assertEquals(HastFrameException.Kind.VERSION, e.kind());
    }

    @Test
    void nvSizeAboveTheCap() {
        HastFrameException huge = refuse(new HastFrameDecoder(), bytes("02 ff ff ff ff"));
        assertEquals(HastFrameException.Kind.NV_TOO_LARGE, huge.kind());
        assertEquals("Header announces 4294967295 bytes of nv, the limit is 65536.",
                huge.getMessage());
        HastFrameException oneOver = refuse(new HastFrameDecoder(), bytes("02 01 00 01 00"));
        assertEquals(HastFrameException.Kind.NV_TOO_LARGE, oneOver.kind());
    }

    @Test
    void nvSizeAtTheCapIsAccepted() {
        NvWriter nv = new NvWriter().addUint8("cmd", 5); // 22 bytes
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder(22, 0));
        ch.writeInbound(buf(frame(2, nv, new byte[0])));
        HastFrame f = ch.readInbound();
        assertEquals(22, f.nv().length());
        assertFalse(ch.finish());
        HastFrameException e = refuse(new HastFrameDecoder(21, 0), frame(2, nv, new byte[0]));
        assertEquals(HastFrameException.Kind.NV_TOO_LARGE, e.kind());
    }

    @Test
    void payloadAboveTheCap() {
        for (long size : new long[] {HastFrameDecoder.DEFAULT_MAX_PAYLOAD_SIZE + 1L,
            0x8000_0000L, 0xffff_ffffL}) {
            // the header and nv alone: the payload never has to arrive
            byte[] head = frame(2, new NvWriter().addUint64("seq", 1).addUint32("size", size),
                    new byte[0]);
            HastFrameException e = refuse(new HastFrameDecoder(), head);
            assertEquals(HastFrameException.Kind.PAYLOAD_TOO_LARGE, e.kind());
            assertEquals("Header announces a payload of " + size + " bytes, the limit is "
                    + HastFrameDecoder.DEFAULT_MAX_PAYLOAD_SIZE + ".", e.getMessage());
        }
    }

    @Test
    void payloadAtTheCapIsAccepted() {
        byte[] frame = frame(2, new NvWriter().addUint32("size", 1000), new byte[1000]);
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder(64, 1000));
        ch.writeInbound(buf(frame));
        HastFrame f = ch.readInbound();
        assertEquals(1000, f.payload().readableBytes());
        f.release();
        assertFalse(ch.finish());
        assertEquals(HastFrameException.Kind.PAYLOAD_TOO_LARGE,
                refuse(new HastFrameDecoder(64, 999), frame).kind());
    }

    @Test
    void malformedNv() {
        String[][] cases = {
            // unknown type code 0x7f
            {"02 10 00 00 00", "7f 04 01 00 00 00 63 6d 64 00 00 00 00 00 05 00"},
            // name without its NUL
            {"02 10 00 00 00", "02 04 01 00 00 00 63 6d 64 78 00 00 00 00 05 00"},
            // dsize 0
            {"02 0e 00 00 00", "02 04 00 00 00 00 63 6d 64 00 00 00 00 00"},
            // entry runs past the blob
            {"02 0a 00 00 00", "02 04 01 00 00 00 63 6d 64 00"},
            // scalar of the wrong width
            {"02 16 00 00 00", "02 04 02 00 00 00 63 6d 64 00 00 00 00 00 05 00 00 00 00 00"
                + " 00 00"},
        };
        for (String[] c : cases) {
            HastFrameException e = refuse(new HastFrameDecoder(), bytes(c));
            assertEquals(HastFrameException.Kind.MALFORMED_NV, e.kind(), e.getMessage());
            assertInstanceOf(NvFormatException.class, e.getCause());
            assertTrue(e.getMessage().startsWith("Malformed nv: nv entry 0 at offset 0"),
                    e.getMessage());
        }
    }

    @Test
    void framesBeforeTheErrorAreDeliveredAndNothingAfterIt() {
        byte[] good = frame(2, new NvWriter().addUint64("seq", 1).addUint32("size", 4),
                bytes("de ad be ef"));
        byte[] bad = bytes("09 00 00 00 00");
        EmbeddedChannel ch = new EmbeddedChannel(new HastFrameDecoder());
        assertThrows(HastFrameException.class, () -> ch.writeInbound(buf(concat(good, bad,
                good))));
        HastFrame f = ch.readInbound();
        assertArrayEquals(bytes("de ad be ef"), ByteBufUtil.getBytes(f.payload()));
        f.release();
        assertNull(ch.readInbound(), "nothing after the error");
        ByteBuf more = buf(good);
        assertFalse(ch.writeInbound(more), "later reads are discarded without a new error");
        assertEquals(0, more.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void capsMustNotBeNegative() {
        assertThrows(IllegalArgumentException.class, () -> new HastFrameDecoder(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new HastFrameDecoder(0, -1));
    }

    /** The leak listener works: a buffer dropped without release is reported. */
    @Test
    void leakDetectorCatchesADeliberateLeak() {
        LeakWatch.leakCanary();
        LeakWatch.leaks();
        assertTrue(LeakWatch.canaryReported(), "PARANOID leak detection is active and reports"
                + " reach the listener");
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Feeds {@code stream} byte by byte, expecting the decoder's error and no frame. */
    static HastFrameException refuse(HastFrameDecoder decoder, byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        HastFrameException error = null;
        List<ByteBuf> pieces = new ArrayList<>();
        for (int i = 0; i < stream.length; i++) {
            ByteBuf piece = buf(new byte[] {stream[i]});
            pieces.add(piece);
            try {
                ch.writeInbound(piece);
            } catch (HastFrameException e) {
                assertNull(error, "one error only");
                error = e;
            }
            assertNull(ch.readInbound(), "no frame from a refused stream");
        }
        assertFalse(ch.finish());
        pieces.forEach(p -> assertEquals(0, p.refCnt()));
        if (error == null) {
            throw new AssertionError("no HastFrameException for " + stream.length + " bytes");
        }
        return error;
    }

    static byte[] frame(int version, NvWriter nv, byte[] payload) {
        byte[] head = new byte[Frames.frameSize(nv)];
        Frames.encodeTo(java.nio.ByteBuffer.wrap(head), version, nv);
        return concat(head, payload);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static ByteBuf buf(byte[] bytes) {
        return ALLOC.buffer(bytes.length).writeBytes(bytes);
    }
}
