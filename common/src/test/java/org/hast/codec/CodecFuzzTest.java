package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Generated input for the two decoders that face the network (decisions A29): random bytes,
 * and valid streams and payloads with bytes flipped, truncated, extended or with forged
 * length headers. Whatever comes in, only {@link CodecException} may come out, nothing may
 * hang, and nothing may be written outside {@code out[position, limit)}.
 *
 * <p>Each batch runs once with a fixed seed and once with a fresh one, printed so that a
 * failure can be replayed with {@code -Dhast.fuzz.seed=<seed>}.
 */
class CodecFuzzTest {
    private static final long FIXED_SEED = 0x5EED_4A57L;
    private static final int DECOMPRESS_CASES = 60_000;
    private static final int RECEIVE_CASES = 30_000;
    private static final byte GUARD = (byte) 0xC3;
    private static final int GUARD_LEN = 24;
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(120);

    private static long[] seeds() {
        String forced = System.getProperty("hast.fuzz.seed");
        long fresh = forced != null ? Long.decode(forced) : new Random().nextLong();
        System.out.println("CodecFuzzTest seeds: fixed=" + FIXED_SEED + " random=" + fresh);
        return new long[] {FIXED_SEED, fresh};
    }

    @Test
    void decompressorOnlyEverThrowsCodecException() {
        for (long seed : seeds()) {
            assertTimeoutPreemptively(BATCH_TIMEOUT, () -> decompressBatch(seed));
        }
    }

    @Test
    void receiveStageOnlyEverThrowsCodecException() {
        for (long seed : seeds()) {
            assertTimeoutPreemptively(BATCH_TIMEOUT, () -> receiveBatch(seed));
        }
    }

    // ---- corpus ----

    private static byte[] sampleData(Random rnd, int size) {
        byte[] b = new byte[size];
        switch (rnd.nextInt(4)) {
            case 0:
                rnd.nextBytes(b);
                break;
            case 1:
                Arrays.fill(b, (byte) rnd.nextInt(256));
                break;
            default:
                int period = 1 + rnd.nextInt(64);
                for (int i = 0; i < size; i++) {
                    b[i] = (byte) (rnd.nextInt(20) == 0 ? rnd.nextInt(256) : 'a' + i % period);
                }
        }
        return b;
    }

    /** Valid raw LZF streams of assorted sizes and shapes. */
    private static List<byte[]> validStreams(Random rnd) {
        Lzf lzf = new Lzf();
        List<byte[]> out = new ArrayList<>();
        while (out.size() < 64) {
            byte[] data = sampleData(rnd, 1 + rnd.nextInt(6000));
            ByteBuffer buf = ByteBuffer.allocate(data.length * 2 + 64);
            int n = lzf.compress(ByteBuffer.wrap(data), buf, buf.capacity());
            out.add(Arrays.copyOf(buf.array(), n));
        }
        return out;
    }

    /** Valid lzf and hole payloads (with their length headers). */
    private static List<byte[]> validPayloads(Random rnd) {
        PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.NONE);
        List<byte[]> out = new ArrayList<>();
        while (out.size() < 64) {
            int size = rnd.nextBoolean() ? 1025 + rnd.nextInt(8000) : 8 * (1 + rnd.nextInt(1000));
            byte[] data = rnd.nextInt(5) == 0 ? new byte[size] : sampleData(rnd, size);
            EncodedPayload enc = codec.encode(ByteBuffer.wrap(data), ByteBuffer.allocate(size));
            if (enc.compression() != Compression.NONE) {
                out.add(LzfVectorTest.bytes(enc.payload()));
            }
        }
        return out;
    }

    /** A copy of {@code src} damaged in one or a few random ways. */
    private static byte[] mutate(Random rnd, byte[] src) {
        byte[] b = src.clone();
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits; e++) {
            switch (rnd.nextInt(7)) {
                case 0: // flip a byte
                    if (b.length > 0) {
                        b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
                    }
                    break;
                case 1: // truncate
                    b = Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
                    break;
                case 2: // append garbage
                    byte[] tail = new byte[1 + rnd.nextInt(16)];
                    rnd.nextBytes(tail);
                    byte[] longer = Arrays.copyOf(b, b.length + tail.length);
                    System.arraycopy(tail, 0, longer, b.length, tail.length);
                    b = longer;
                    break;
                case 3: // random control byte
                    if (b.length > 0) {
                        b[rnd.nextInt(b.length)] = (byte) (rnd.nextBoolean() ? rnd.nextInt(32)
                                : 0xe0 | rnd.nextInt(32));
                    }
                    break;
                case 4: // forge the length header
                    if (b.length >= 4) {
                        int forged = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(20000);
                        b[0] = (byte) forged;
                        b[1] = (byte) (forged >>> 8);
                        b[2] = (byte) (forged >>> 16);
                        b[3] = (byte) (forged >>> 24);
                    }
                    break;
                case 5: // drop a byte from the middle
                    if (b.length > 1) {
                        int at = rnd.nextInt(b.length);
                        byte[] shorter = new byte[b.length - 1];
                        System.arraycopy(b, 0, shorter, 0, at);
                        System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
                        b = shorter;
                    }
                    break;
                default: // far back-reference
                    if (b.length > 2) {
                        int at = rnd.nextInt(b.length - 1);
                        b[at] = (byte) (0x20 | rnd.nextInt(0x100) & 0xff | 0x1f);
                        b[at + 1] = (byte) 0xff;
                    }
            }
        }
        return b;
    }

    private static byte[] randomBytes(Random rnd, int max) {
        byte[] b = new byte[rnd.nextInt(max + 1)];
        rnd.nextBytes(b);
        return b;
    }

    // ---- guarded output ----

    /** An output window {@code [GUARD_LEN + lead, + capacity)} with guard bytes around it. */
    private static ByteBuffer guardedOut(Random rnd, int capacity) {
        int lead = rnd.nextInt(8);
        ByteBuffer backing = rnd.nextBoolean()
                ? ByteBuffer.allocate(GUARD_LEN + lead + capacity + GUARD_LEN)
                : ByteBuffer.allocateDirect(GUARD_LEN + lead + capacity + GUARD_LEN);
        for (int i = 0; i < backing.capacity(); i++) {
            backing.put(i, GUARD);
        }
        backing.position(GUARD_LEN + lead).limit(GUARD_LEN + lead + capacity);
        return backing;
    }

    private static void checkGuards(ByteBuffer window, int start, int limit, String what) {
        ByteBuffer out = window.duplicate().clear();
        for (int i = 0; i < start; i++) {
            if (out.get(i) != GUARD) {
                throw new AssertionError(what + ": wrote before the output window at " + i);
            }
        }
        for (int i = limit; i < out.capacity(); i++) {
            if (out.get(i) != GUARD) {
                throw new AssertionError(what + ": wrote past the output limit at " + i);
            }
        }
    }

    // ---- batches ----

    private static void decompressBatch(long seed) {
        Random rnd = new Random(seed);
        List<byte[]> corpus = validStreams(rnd);
        Lzf lzf = new Lzf();
        int accepted = 0;
        for (int i = 0; i < DECOMPRESS_CASES; i++) {
            byte[] input = rnd.nextInt(3) == 0 ? randomBytes(rnd, 300)
                    : mutate(rnd, corpus.get(rnd.nextInt(corpus.size())));
            ByteBuffer in = ByteBuffer.wrap(input);
            ByteBuffer out = guardedOut(rnd, rnd.nextInt(3) == 0 ? rnd.nextInt(64) : rnd.nextInt(9000));
            int start = out.position();
            int limit = out.limit();
            String what = "seed " + seed + " case " + i + " input " + HexFormat.of().formatHex(
                    input, 0, Math.min(input.length, 64));
            try {
                int n = lzf.decompress(in, out);
                if (n < 0 || n > limit - start || out.position() != start + n) {
                    throw new AssertionError(what + ": bad result " + n);
                }
                accepted++;
            } catch (CodecException expected) {
                if (out.position() != start || in.position() != 0) {
                    throw new AssertionError(what + ": positions moved on failure");
                }
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": " + e, e);
            }
            checkGuards(out, start, limit, what);
        }
        requireMix("decompress", seed, accepted, DECOMPRESS_CASES);
    }

    /** Both outcomes must have occurred, or the generator is not reaching the decoder. */
    private static void requireMix(String what, long seed, int accepted, int total) {
        System.out.println("CodecFuzzTest " + what + " seed " + seed + ": " + accepted
                + " accepted, " + (total - accepted) + " refused");
        if (accepted < total / 100 || total - accepted < total / 10) {
            throw new AssertionError(what + ": poor mix of outcomes, " + accepted + "/" + total);
        }
    }

    private static final String[] COMPRESSIONS = {null, "hole", "lzf", "lzf", "lzf", "zstd", ""};
    private static final String[] CHECKSUMS = {null, null, null, "crc32", "sha256", "bogus"};

    private static void receiveBatch(long seed) {
        Random rnd = new Random(seed);
        List<byte[]> corpus = validPayloads(rnd);
        PayloadCodec receiver = new PayloadCodec();
        Crc32Checksum crc = new Crc32Checksum();
        Sha256Checksum sha = new Sha256Checksum();
        int accepted = 0;
        for (int i = 0; i < RECEIVE_CASES; i++) {
            byte[] payload = rnd.nextInt(4) == 0 ? randomBytes(rnd, 64)
                    : mutate(rnd, corpus.get(rnd.nextInt(corpus.size())));
            String compression = COMPRESSIONS[rnd.nextInt(COMPRESSIONS.length)];
            String checksum = CHECKSUMS[rnd.nextInt(CHECKSUMS.length)];
            byte[] hash = null;
            if (checksum != null && rnd.nextInt(8) != 0) {
                if (rnd.nextBoolean()) {
                    hash = randomBytes(rnd, 40);
                } else {
                    PayloadChecksum c = "sha256".equals(checksum) ? sha : crc;
                    hash = new byte[c.hashLength()];
                    c.compute(ByteBuffer.wrap(payload), hash, 0);
                }
            }
            ByteBuffer out = guardedOut(rnd, rnd.nextInt(10_000));
            int start = out.position();
            int limit = out.limit();
            String what = "seed " + seed + " case " + i + " " + compression + "/" + checksum;
            try {
                ByteBuffer got = receiver.decode(compression, checksum,
                        hash == null ? null : ByteBuffer.wrap(hash), ByteBuffer.wrap(payload), out);
                if (got == out && (out.position() != start || out.limit() > limit)) {
                    throw new AssertionError(what + ": bad output window");
                }
                accepted++;
            } catch (CodecException expected) {
                if (out.position() != start || out.limit() != limit) {
                    throw new AssertionError(what + ": output window moved on failure");
                }
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": " + e, e);
            }
            checkGuards(out, start, limit, what);
        }
        requireMix("receive", seed, accepted, RECEIVE_CASES);
    }
}
