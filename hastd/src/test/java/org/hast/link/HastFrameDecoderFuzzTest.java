package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import org.hast.proto.PayloadFields;
import org.hast.testing.Mutator;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.hast.daemon.net.BoundedAllocator;

/**
 * Generated streams through a fresh {@link HastFrameDecoder} each: random bytes, captured
 * frames with payloads, their nv blobs mutated, headers with forged versions and nv sizes,
 * {@code size} fields forged, several frames back to back, bits flipped and tails cut, fed in
 * random pieces. Whatever comes in, only frames within the caps and
 * {@link HastFrameException} may come out; after the exception nothing more; every input
 * buffer is released; no buffer larger than the bytes actually fed is ever allocated
 * ({@link BoundedAllocator}) but a payload's own, sized from a {@code size} within the payload
 * cap; and the leak detector stays silent.
 *
 * <p>Runs once with a fixed seed and once with a fresh one, printed so that a failure can be
 * replayed with {@code -Dhast.fuzz.seed=<seed>}.
 */
@ExtendWith(LeakWatch.class)
class HastFrameDecoderFuzzTest {
    private static final long FIXED_SEED = 0x4A57_F4A3L;
    private static final int CASES = 10_000;
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(180);
    /** Payload bytes appended to a seed frame at most (the 1 MiB capture gets a cut tail). */
    private static final int MAX_SEED_PAYLOAD = 1 << 16;
    private static final long[] ODD_SIZES = {
        0, 1, 4, 5, 21, 22, 23, 255, 256, 4096, 65535, 65536, 65537,
        1 << 20, (1 << 20) + 1024, (1 << 20) + 1025, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
    };

    private static List<byte[]> seedFrames;
    private static List<byte[]> seedBlobs;

    @BeforeAll
    static void setUp() {
        seedFrames = new ArrayList<>();
        seedBlobs = new ArrayList<>();
        for (Message m : VectorStreams.messages()) {
            seedFrames.add(m.raw());
            seedBlobs.add(Arrays.copyOfRange(m.raw(), 5, m.raw().length));
        }
    }

    private static long[] seeds() {
        String forced = System.getProperty("hast.fuzz.seed");
        long fresh = forced != null ? Long.decode(forced) : new Random().nextLong();
        System.out.println("HastFrameDecoderFuzzTest seeds: fixed=" + FIXED_SEED + " random="
                + fresh);
        return new long[] {FIXED_SEED, fresh};
    }

    @Test
    void onlyFramesOrTheDecodersOwnException() {
        for (long seed : seeds()) {
            Stats stats = assertTimeoutPreemptively(BATCH_TIMEOUT, () -> batch(seed));
            System.out.println("HastFrameDecoderFuzzTest seed " + seed + ": " + stats);
            assertTrue(stats.frames > CASES / 4, "enough inputs get through: " + stats);
            for (HastFrameException.Kind kind : HastFrameException.Kind.values()) {
                assertTrue(stats.errors.getOrDefault(kind, 0) > 50,
                        "every refusal is exercised: " + stats);
            }
        }
    }

    /** Counts of what came out. */
    private static final class Stats {
        int frames;
        int payloadBytes;
        int largestAllocation;
        final Map<HastFrameException.Kind, Integer> errors =
                new EnumMap<>(HastFrameException.Kind.class);

        @Override
        public String toString() {
            return CASES + " streams, " + frames + " frames (" + payloadBytes
                    + " payload bytes), refusals " + errors + ", largest allocation "
                    + largestAllocation;
        }
    }

    private static Stats batch(long seed) {
        Random random = new Random(seed);
        Mutator mutator = new Mutator(random, seedBlobs);
        Stats stats = new Stats();
        for (int i = 0; i < CASES; i++) {
            byte[] stream = stream(random, mutator);
            try {
                run(stream, random, stats);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + ", case " + i + ", stream of "
                        + stream.length + " bytes: " + e, e);
            }
        }
        return stats;
    }

    private static void run(byte[] stream, Random random, Stats stats) {
        boolean tiny = random.nextInt(4) == 0;
        int maxNv = tiny ? 64 + random.nextInt(200) : HastFrameDecoder.DEFAULT_MAX_NV_SIZE;
        int maxPayload = tiny ? random.nextInt(5000) : HastFrameDecoder.DEFAULT_MAX_PAYLOAD_SIZE;
        // header buffers never need more than the stream (Netty rounds up to a power of two);
        // a payload buffer is sized from its size field, once that passed the cap
        BoundedAllocator alloc = new BoundedAllocator(Math.max(Math.max(64, 2 * stream.length),
                Math.min(maxPayload, HastFrameDecoder.AHEAD_LIMIT)));
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(new HastFrameDecoder(maxNv, maxPayload));

        List<ByteBuf> pieces = new ArrayList<>();
        boolean failed = false;
        int at = 0;
        while (at < stream.length) {
            int n = Math.min(stream.length - at, random.nextInt(3) == 0 ? stream.length
                    : 1 + random.nextInt(64));
            ByteBuf piece = alloc.buffer(n).writeBytes(stream, at, n);
            pieces.add(piece);
            at += n;
            try {
                ch.writeInbound(piece);
            } catch (HastFrameException e) {
                if (failed) {
                    throw new AssertionError("a second error after " + e.kind(), e);
                }
                failed = true;
                stats.errors.merge(e.kind(), 1, Integer::sum);
            }
            drain(ch, maxNv, maxPayload, failed, stats);
        }
        if (ch.finish()) {
            drain(ch, maxNv, maxPayload, true, stats);
            throw new AssertionError("finish() found messages after the stream ended");
        }
        for (ByteBuf p : pieces) {
            if (p.refCnt() != 0) {
                throw new AssertionError("input buffer not released");
            }
        }
        stats.largestAllocation = Math.max(stats.largestAllocation, alloc.largestRequest());
    }

    /** Takes every frame out, checks it against the caps and releases it. */
    private static void drain(EmbeddedChannel ch, int maxNv, int maxPayload, boolean failed,
            Stats stats) {
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (!(o instanceof HastFrame)) {
                throw new AssertionError("not a frame: " + o);
            }
            HastFrame f = (HastFrame) o;
            try {
                long announced = f.nv().getUint32(PayloadFields.FIELD_SIZE);
                if (f.nv().length() > maxNv || f.version() > 2
                        || f.payload().readableBytes() != announced
                        || announced > maxPayload) {
                    throw new AssertionError("frame outside the rules: " + f + " announced "
                            + announced);
                }
                stats.frames++;
                stats.payloadBytes += f.payload().readableBytes();
            } finally {
                f.release();
            }
        }
    }

    // ---- stream generation ----------------------------------------------------------------

    private static byte[] stream(Random random, Mutator mutator) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int parts = 1 + random.nextInt(random.nextInt(8) == 0 ? 6 : 2);
        for (int p = 0; p < parts; p++) {
            out.writeBytes(part(random, mutator));
        }
        byte[] s = out.toByteArray();
        int dice = random.nextInt(10);
        if (dice == 0 && s.length > 0) { // flip bits anywhere
            for (int k = random.nextInt(4); k >= 0; k--) {
                s[random.nextInt(s.length)] ^= (byte) (1 << random.nextInt(8));
            }
        } else if (dice == 1 && s.length > 0) { // cut the tail
            s = Arrays.copyOf(s, random.nextInt(s.length));
        }
        return s;
    }

    private static byte[] part(Random random, Mutator mutator) {
        switch (random.nextInt(6)) {
            case 0: { // noise
                byte[] junk = new byte[random.nextInt(200)];
                random.nextBytes(junk);
                return junk;
            }
            case 1: // a captured frame and its payload
                return withPayload(random, seedFrames.get(random.nextInt(seedFrames.size())));
            case 2: { // a mutated nv blob under a correct header
                byte[] blob = mutator.next();
                return withPayload(random, header(random.nextInt(3), blob.length, blob));
            }
            case 3: { // a captured frame under a forged header
                byte[] frame = seedFrames.get(random.nextInt(seedFrames.size())).clone();
                int version = random.nextInt(4) == 0 ? random.nextInt(256)
                        : random.nextInt(3);
                long nvSize = random.nextBoolean() ? ODD_SIZES[random.nextInt(ODD_SIZES.length)]
                        : random.nextInt() & 0xffff_ffffL;
                frame[0] = (byte) version;
                putLe32(frame, 1, nvSize);
                return withPayload(random, frame);
            }
            case 4: { // a captured frame with its size field forged
                byte[] frame = seedFrames.get(random.nextInt(seedFrames.size())).clone();
                int at = sizeValueOffset(frame);
                if (at >= 0) {
                    putLe32(frame, at, random.nextBoolean()
                            ? ODD_SIZES[random.nextInt(ODD_SIZES.length)]
                            : random.nextInt() & 0xffff_ffffL);
                }
                return withPayload(random, frame);
            }
            default: { // a header alone announcing anything
                byte[] h = new byte[5];
                h[0] = (byte) random.nextInt(4);
                putLe32(h, 1, ODD_SIZES[random.nextInt(ODD_SIZES.length)]);
                return h;
            }
        }
    }

    /** The frame followed by payload bytes: usually as many as its size field says. */
    private static byte[] withPayload(Random random, byte[] frame) {
        int at = sizeValueOffset(frame);
        long announced = at < 0 ? 0 : getLe32(frame, at);
        long n;
        switch (random.nextInt(5)) {
            case 0:
                n = random.nextInt(64);
                break;
            case 1:
                n = Math.max(0, announced - 1 - random.nextInt(8));
                break;
            default:
                n = announced;
        }
        n = Math.min(n, MAX_SEED_PAYLOAD);
        byte[] out = Arrays.copyOf(frame, frame.length + (int) n);
        for (int i = frame.length; i < out.length; i++) {
            out[i] = (byte) (i * 31);
        }
        return out;
    }

    private static byte[] header(int version, int nvSize, byte[] blob) {
        byte[] out = new byte[5 + blob.length];
        out[0] = (byte) version;
        putLe32(out, 1, nvSize);
        System.arraycopy(blob, 0, out, 5, blob.length);
        return out;
    }

    /**
     * Where the value of a top-level uint32 {@code size} entry sits in a header + nv frame, or
     * -1: a walk of the entries as they are laid out, stopping at anything odd.
     */
    private static int sizeValueOffset(byte[] frame) {
        int off = 5;
        while (off + 6 <= frame.length && frame[off] != 0) {
            int namesize = frame[off + 1] & 0xff;
            long dsize = getLe32(frame, off + 2);
            int valueAt = off + 6 + ((namesize + 7) & ~7);
            if (namesize == 5 && valueAt + 4 <= frame.length && frame[off] == 6
                    && frame[off + 6] == 's' && frame[off + 7] == 'i' && frame[off + 8] == 'z'
                    && frame[off + 9] == 'e') {
                return valueAt;
            }
            long next = valueAt + ((dsize + 7) & ~7L);
            if (next > frame.length || next <= off) {
                return -1;
            }
            off = (int) next;
        }
        return -1;
    }

    private static void putLe32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static long getLe32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16
                | (b[at + 3] & 0xffL) << 24;
    }
}
