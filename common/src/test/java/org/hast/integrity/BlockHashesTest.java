package org.hast.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class BlockHashesTest {
    @Test
    void eachBlockIsItsSha256() throws Exception {
        byte[] data = new byte[3 * BlockHashes.BLOCK + 512];
        new Random(7).nextBytes(data);
        ByteBuffer digests = ByteBuffer.allocate(BlockHashes.digestBytes(data.length));
        new BlockHashes().hash(ByteBuffer.wrap(data), digests);
        assertEquals(4 * BlockHashes.DIGEST, digests.position());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int b = 0; b < 4; b++) {
            byte[] block = Arrays.copyOfRange(data, b * BlockHashes.BLOCK,
                    Math.min(data.length, (b + 1) * BlockHashes.BLOCK));
            assertArrayEquals(sha.digest(block),
                    Arrays.copyOfRange(digests.array(), b * BlockHashes.DIGEST, (b + 1) * BlockHashes.DIGEST));
        }
    }

    @Test
    void mismatchesNameExactlyTheChangedBlocks() {
        byte[] a = new byte[32 * BlockHashes.BLOCK];
        new Random(1).nextBytes(a);
        byte[] b = a.clone();
        b[5 * BlockHashes.BLOCK + 17] ^= 1;
        b[31 * BlockHashes.BLOCK] ^= (byte) 0x80;
        BlockHashes hashes = new BlockHashes();
        ByteBuffer da = ByteBuffer.allocate(BlockHashes.digestBytes(a.length));
        ByteBuffer db = ByteBuffer.allocate(BlockHashes.digestBytes(b.length));
        hashes.hash(ByteBuffer.wrap(a), da);
        hashes.hash(ByteBuffer.wrap(b), db);
        assertEquals((1L << 5) | (1L << 31), BlockHashes.mismatches(da.flip(), db.flip()));
        assertEquals(0, BlockHashes.mismatches(da, da.duplicate()));
    }
}
