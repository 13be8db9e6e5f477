package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/** CRC-32 and SHA-256 of known inputs, in the byte order they travel in (spec §10.1). */
class ChecksumTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hash(PayloadChecksum c, ByteBuffer data) {
        byte[] out = new byte[c.hashLength() + 2];
        c.compute(data, out, 1);
        return java.util.Arrays.copyOfRange(out, 1, 1 + c.hashLength());
    }

    @Test
    void crc32CheckValueIsStoredLittleEndian() {
        Crc32Checksum crc = new Crc32Checksum();
        ByteBuffer data = ByteBuffer.wrap("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xCBF43926, crc.value(data));
        assertArrayEquals(HEX.parseHex("2639f4cb"), hash(crc, data));
        assertEquals(0, data.position(), "position untouched");
        assertEquals(4, crc.hashLength());
        assertEquals(ChecksumAlgorithm.CRC32, crc.algorithm());
    }

    @Test
    void crc32OfEmptyAndReuse() {
        Crc32Checksum crc = new Crc32Checksum();
        assertEquals(0, crc.value(ByteBuffer.allocate(0)));
        ByteBuffer direct = ByteBuffer.allocateDirect(9);
        direct.put("123456789".getBytes(StandardCharsets.US_ASCII)).flip();
        assertEquals(0xCBF43926, crc.value(direct));
        assertEquals(0xCBF43926, crc.value(direct), "state is reset between calls");
    }

    @Test
    void lzfCrc32ExampleFromTheVectorsReadme() {
        // wire/lzf_crc32: the hole payload 00 00 01 00 (65536 zero bytes) carries hash 5dee5f38.
        byte[] got = hash(new Crc32Checksum(), ByteBuffer.wrap(HEX.parseHex("00000100")));
        assertArrayEquals(HEX.parseHex("5dee5f38"), got);
    }

    @Test
    void sha256KnownAnswers() {
        Sha256Checksum sha = new Sha256Checksum();
        assertArrayEquals(
                HEX.parseHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                hash(sha, ByteBuffer.allocate(0)));
        ByteBuffer abc = ByteBuffer.allocateDirect(3);
        abc.put("abc".getBytes(StandardCharsets.US_ASCII)).flip();
        assertArrayEquals(
                HEX.parseHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                hash(sha, abc));
        assertEquals(0, abc.position());
        assertEquals(32, sha.hashLength());
    }

    @Test
    void sha256OfA5aBlockAsTheReferenceSentIt() {
        // wire/checksum_sha256/session.txt msg#1: 4096 bytes of 0x5a.
        byte[] block = new byte[4096];
        java.util.Arrays.fill(block, (byte) 0x5a);
        assertArrayEquals(
                HEX.parseHex("f302957da5220938a7e3e51a8718c79b9e00dc13ab2119e8cfc978f041720382"),
                hash(new Sha256Checksum(), ByteBuffer.wrap(block)));
    }

    @Test
    void factoryAndNames() {
        assertNull(PayloadChecksum.create(ChecksumAlgorithm.NONE));
        assertEquals(ChecksumAlgorithm.CRC32, PayloadChecksum.create(ChecksumAlgorithm.CRC32).algorithm());
        assertEquals(ChecksumAlgorithm.SHA256, PayloadChecksum.create(ChecksumAlgorithm.SHA256).algorithm());
        assertEquals("crc32", ChecksumAlgorithm.CRC32.wireName());
        assertEquals("sha256", ChecksumAlgorithm.SHA256.wireName());
        assertEquals(ChecksumAlgorithm.SHA256, ChecksumAlgorithm.fromWireName("sha256"));
        assertNull(ChecksumAlgorithm.fromWireName("md5"));
        assertEquals(1, ChecksumAlgorithm.CRC32.code());
        assertEquals(2, Compression.LZF.code());
        assertEquals(Compression.HOLE, Compression.fromWireName("hole"));
        assertNull(Compression.fromWireName("zstd"));
    }
}
