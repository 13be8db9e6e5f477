package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * The send and receive stages of spec §10 as a whole: which fields come out, what the
 * reference sent for the same inputs (values transcribed from the {@code session.txt} logs
 * of {@code vectors/wire/}), and every way a received payload can be refused.
 */
class PayloadCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static byte[] input(String name) throws IOException {
        return Files.readAllBytes(Requirements.vector("wire/inputs/" + name));
    }

    private static EncodedPayload send(PayloadCodec codec, byte[] data) {
        return codec.encode(ByteBuffer.wrap(data), ByteBuffer.allocate(data.length));
    }

    private static List<String> fields(EncodedPayload enc) {
        List<String> out = new ArrayList<>();
        enc.forEachField(new EncodedPayload.FieldSink() {
            @Override
            public void addString(String name, String value) {
                out.add(name + "=" + value);
            }

            @Override
            public void addUint8Array(String name, byte[] value, int offset, int length) {
                out.add(name + "=" + HEX.formatHex(value, offset, offset + length));
            }
        });
        return out;
    }

    // ---- what the reference sent ----

    @Test
    void crc32WithoutCompression() throws IOException {
        // wire/checksum_crc32/session.txt, msgs #1-#4 (compression none).
        PayloadCodec codec = new PayloadCodec(Compression.NONE, ChecksumAlgorithm.CRC32);
        assertEquals(List.of("checksum=crc32", "hash=dd51d57c"), fields(send(codec, filled(4096, 0x5a))));
        assertEquals(List.of("checksum=crc32", "hash=08d859af"), fields(send(codec, input("pat64k.bin"))));
        assertEquals(List.of("checksum=crc32", "hash=4aec223d"), fields(send(codec, input("rand4k.bin"))));
        EncodedPayload zeros = send(codec, new byte[65536]);
        assertEquals(List.of("checksum=crc32", "hash=eb8e97d7"), fields(zeros));
        assertEquals(65536, zeros.size(), "compression none sends zeros as they are");
    }

    @Test
    void sha256WithoutCompression() throws IOException {
        // wire/checksum_sha256/session.txt, msgs #1-#4.
        PayloadCodec codec = new PayloadCodec(Compression.NONE, ChecksumAlgorithm.SHA256);
        assertEquals("hash=74a279c5ab4b85df0eaa2dcfcd3d38a0a90a60e771ee4d3ffec53c3be876a267",
                fields(send(codec, input("pat64k.bin"))).get(1));
        assertEquals("hash=e2c3100844ffe19a3cbd47a1148be7b2730651010e09708b3c5a25f8aa0ced28",
                fields(send(codec, input("rand4k.bin"))).get(1));
        assertEquals("hash=de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31",
                fields(send(codec, new byte[65536])).get(1));
    }

    @Test
    void lzfWithCrc32HashesTheCompressedBytes() throws IOException {
        // wire/lzf_crc32/session.txt, msgs #1-#4.
        PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.CRC32);
        EncodedPayload a = send(codec, filled(4096, 0x5a));
        assertEquals(List.of("compression=lzf", "checksum=crc32", "hash=d3a8e997"), fields(a));
        assertEquals(58, a.size());
        assertEquals("00100000015a5ae0ff00e0ff00e0ff00",
                HEX.formatHex(LzfVectorTest.bytes(a.payload()), 0, 16));

        EncodedPayload pat = send(codec, input("pat64k.bin"));
        assertEquals(List.of("compression=lzf", "checksum=crc32", "hash=e28b7a4b"), fields(pat));
        assertEquals(9889, pat.size());

        EncodedPayload rand = send(codec, input("rand4k.bin"));
        assertEquals(List.of("checksum=crc32", "hash=4aec223d"), fields(rand));
        assertEquals(4096, rand.size());

        EncodedPayload zeros = send(codec, new byte[65536]);
        assertEquals(List.of("compression=hole", "checksum=crc32", "hash=5dee5f38"), fields(zeros));
        assertArrayEquals(HEX.parseHex("00000100"), LzfVectorTest.bytes(zeros.payload()));
    }

    // ---- send-side rules ----

    @Test
    void lzfThresholds() {
        PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.NONE);
        assertNull(send(codec, filled(1024, 'a')).compressionName(), "1024 bytes: never lzf");
        assertNull(send(codec, filled(1032, 'a')).compressionName(), "must save more than 1 KiB");
        EncodedPayload big = send(codec, filled(2048, 'a'));
        assertEquals(Compression.LZF, big.compression());
        assertTrue(big.size() <= 2048 - 1024 + 4);
        assertEquals(0, big.payload().position());
    }

    @Test
    void holeModeAndNoneMode() {
        PayloadCodec hole = new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.NONE);
        assertEquals("hole", send(hole, new byte[512]).compressionName());
        assertNull(send(hole, filled(8192, 'a')).compressionName(), "hole mode never uses lzf");
        assertNull(send(hole, new byte[0]).compressionName(), "empty payload stays empty");
        PayloadCodec none = new PayloadCodec();
        byte[] zeros = new byte[4096];
        ByteBuffer data = ByteBuffer.wrap(zeros);
        EncodedPayload enc = none.encode(data, ByteBuffer.allocate(4096));
        assertSame(data, enc.payload());
        assertEquals(List.of(), fields(enc));
    }

    @Test
    void smallScratchMeansLessCompression() {
        PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.NONE);
        ByteBuffer data = ByteBuffer.wrap(filled(4096, 'a'));
        assertNull(codec.encode(data, ByteBuffer.allocate(3)).compressionName());
        assertNull(codec.encode(data, ByteBuffer.allocate(10)).compressionName());
        assertEquals("lzf", codec.encode(data, ByteBuffer.allocate(100)).compressionName());
        ByteBuffer zeros = ByteBuffer.allocate(4096);
        assertEquals("hole", codec.encode(zeros, ByteBuffer.allocate(4)).compressionName());
    }

    @Test
    void scratchPositionIsKeptAndLimitMarksTheEnd() {
        PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.SHA256);
        ByteBuffer scratch = ByteBuffer.allocateDirect(8192);
        scratch.position(100);
        EncodedPayload enc = codec.encode(ByteBuffer.wrap(filled(4096, 0x5a)), scratch);
        assertSame(scratch, enc.payload());
        assertEquals(100, scratch.position());
        assertEquals(158, scratch.limit());
        assertEquals(32, enc.hashCopy().length);
    }

    @Test
    void reconfigure() {
        PayloadCodec codec = new PayloadCodec(Compression.NONE, ChecksumAlgorithm.NONE);
        codec.configure(Compression.HOLE, ChecksumAlgorithm.CRC32);
        assertEquals(List.of("compression=hole", "checksum=crc32", "hash=5dee5f38"),
                fields(send(codec, new byte[65536])));
        assertThrows(NullPointerException.class, () -> codec.configure(null, ChecksumAlgorithm.NONE));
    }

    // ---- round trip ----

    @Test
    void everyCombinationRoundTrips() throws CodecException {
        Random rnd = new Random(99);
        byte[] random = new byte[70000];
        rnd.nextBytes(random);
        byte[] text = filled(70000, 0);
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) ("the quick brown fox " .charAt(i % 20) + (i % 997 == 0 ? 1 : 0));
        }
        List<byte[]> inputs = List.of(random, text, new byte[70000], new byte[8], filled(1500, 3));
        for (Compression c : Compression.values()) {
            for (ChecksumAlgorithm k : ChecksumAlgorithm.values()) {
                PayloadCodec sender = new PayloadCodec(c, k);
                PayloadCodec receiver = new PayloadCodec();
                for (byte[] in : inputs) {
                    for (boolean direct : new boolean[] {false, true}) {
                        ByteBuffer data = LzfVectorTest.copy(in, direct);
                        ByteBuffer scratch = direct ? ByteBuffer.allocateDirect(in.length)
                                : ByteBuffer.allocate(in.length);
                        EncodedPayload enc = sender.encode(data, scratch);
                        ByteBuffer hash = enc.checksumName() == null ? null
                                : ByteBuffer.wrap(enc.hashCopy());
                        ByteBuffer out = ByteBuffer.allocateDirect(in.length);
                        ByteBuffer got = receiver.decode(enc.compressionName(), enc.checksumName(),
                                hash, enc.payload(), out);
                        assertArrayEquals(in, LzfVectorTest.bytes(got), c + "/" + k);
                    }
                }
            }
        }
    }

    // ---- receive-side refusals ----

    private static String refuse(String compression, String checksum, byte[] hash, byte[] payload,
            int outSize) {
        ByteBuffer out = ByteBuffer.allocate(outSize + 8);
        out.position(3).limit(3 + outSize);
        ByteBuffer in = ByteBuffer.wrap(payload);
        CodecException e = assertThrows(CodecException.class,
                () -> new PayloadCodec().decode(compression, checksum, hash, in, out));
        assertEquals(3, out.position());
        assertEquals(3 + outSize, out.limit());
        assertEquals(0, in.position());
        return e.getMessage();
    }

    private static byte[] lzfPayload(byte[] data) {
        EncodedPayload enc = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.NONE)
                .encode(ByteBuffer.wrap(data), ByteBuffer.allocate(data.length));
        assertEquals(Compression.LZF, enc.compression());
        return LzfVectorTest.bytes(enc.payload());
    }

    @Test
    void checksumRefusals() {
        byte[] data = "payload".getBytes();
        assertEquals("Hash is missing.", refuse(null, "crc32", null, data, 100));
        assertEquals("Unknown checksum algorithm 'md5'.",
                refuse(null, "md5", new byte[4], data, 100));
        assertEquals("Unknown checksum algorithm 'none'.",
                refuse(null, "none", new byte[4], data, 100));
        assertEquals("Invalid hash size (3) for crc32, should be 4.",
                refuse(null, "crc32", new byte[3], data, 100));
        assertEquals("Invalid hash size (4) for sha256, should be 32.",
                refuse(null, "sha256", new byte[4], data, 100));
        assertEquals("Hash mismatch.", refuse(null, "crc32", new byte[4], data, 100));
        assertEquals("Hash mismatch.", refuse(null, "sha256", new byte[32], data, 100));
    }

    @Test
    void checksumIsVerifiedBeforeDecompression() throws CodecException {
        byte[] hole = HEX.parseHex("00000100");
        assertEquals("Hash mismatch.", refuse("hole", "crc32", new byte[4], hole, 65536));
        ByteBuffer got = new PayloadCodec().decode("hole", "crc32", HEX.parseHex("5dee5f38"),
                ByteBuffer.wrap(hole), ByteBuffer.allocate(65536));
        assertEquals(65536, got.remaining());
        // A hash without a checksum field is ignored, as in the reference.
        ByteBuffer plain = ByteBuffer.wrap(new byte[] {1, 2, 3});
        assertSame(plain, new PayloadCodec().decode(null, null, new byte[4], plain, ByteBuffer.allocate(0)));
    }

    @Test
    void compressionRefusals() {
        byte[] text = filled(4096, 0x5a);
        byte[] good = lzfPayload(text);
        assertEquals("Unknown compression algorithm 'zstd'.", refuse("zstd", null, null, good, 4096));
        assertEquals("Unknown compression algorithm 'none'.", refuse("none", null, null, good, 4096));
        assertEquals("Unable to decompress (invalid size: 5).", refuse("hole", null, null, new byte[5], 4096));
        assertEquals("Unable to decompress (invalid size: 3).", refuse("hole", null, null, new byte[3], 4096));
        assertTrue(refuse("hole", null, null, HEX.parseHex("01100000"), 4096).contains("exceeds"));

        assertTrue(refuse("lzf", null, null, Arrays.copyOf(good, 4), 4096).contains("invalid size: 4"));
        assertTrue(refuse("lzf", null, null, new byte[0], 4096).contains("invalid size: 0"));
        byte[] small = good.clone();
        small[0] = 0x00;
        small[1] = 0x04; // original length 1024
        assertTrue(refuse("lzf", null, null, small, 4096).contains("invalid original size: 1024"));
        assertTrue(refuse("lzf", null, null, good, 4095).contains("exceeds the 4095-byte buffer"));
        byte[] longer = good.clone();
        longer[1] = 0x20; // claims 8192 bytes, decodes to 4096
        assertTrue(refuse("lzf", null, null, longer, 8192).contains("decoded to 4096 bytes"));
        byte[] shorter = good.clone();
        shorter[1] = 0x0f; // claims 3840: the stream overruns that
        assertTrue(refuse("lzf", null, null, shorter, 8192).contains("output overrun"));
        byte[] huge = good.clone();
        huge[3] = (byte) 0xff; // > 2^31
        assertTrue(refuse("lzf", null, null, huge, 8192).contains("exceeds"));
        byte[] cut = Arrays.copyOf(good, good.length - 1);
        assertTrue(refuse("lzf", null, null, cut, 4096).startsWith("Unable to decompress"));
    }

    @Test
    void decodedLzfLeavesOutPositionAndSetsLimit() throws CodecException {
        byte[] text = filled(4096, 0x5a);
        ByteBuffer out = ByteBuffer.allocate(10000);
        out.position(7);
        ByteBuffer got = new PayloadCodec().decode("lzf", null, (ByteBuffer) null,
                ByteBuffer.wrap(lzfPayload(text)), out);
        assertSame(out, got);
        assertEquals(7, out.position());
        assertEquals(7 + 4096, out.limit());
    }
}
