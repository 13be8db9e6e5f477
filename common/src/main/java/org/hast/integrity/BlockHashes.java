package org.hast.integrity;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 of every 4 KiB block of a range, the unit in which online verify and checksum
 * synchronisation compare the two copies (docs/integrity.md). 4 KiB is the page and file-system
 * block size, so a scattered small write costs one block on the wire, and the hashes are 0.8 %
 * of the data. One instance per thread: the digest keeps state.
 */
public final class BlockHashes {
    public static final int BLOCK = 4096;
    public static final int DIGEST = 32;
    /** Blocks of one compared range at most: their mismatches fit in a long. */
    public static final int MAX_BLOCKS = 64;

    private final MessageDigest sha256;

    public BlockHashes() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Digest bytes of a range of {@code length} bytes (its last block may be short). */
    public static int digestBytes(long length) {
        return (int) ((length + BLOCK - 1) / BLOCK) * DIGEST;
    }

    /**
     * Hashes the remaining bytes of {@code data} block by block into {@code into}; both
     * positions advance.
     */
    public void hash(ByteBuffer data, ByteBuffer into) {
        if (!into.hasArray() || into.remaining() < digestBytes(data.remaining())) {
            throw new IllegalArgumentException("no room for " + digestBytes(data.remaining()) + " digest bytes");
        }
        int end = data.limit();
        while (data.position() < end) {
            data.limit(Math.min(end, data.position() + BLOCK));
            sha256.update(data);
            data.limit(end);
            try {
                sha256.digest(into.array(), into.arrayOffset() + into.position(), DIGEST);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            into.position(into.position() + DIGEST);
        }
    }

    /**
     * Which blocks differ between two digest lists of the same range: bit i for block i. Reads
     * the remaining bytes without moving the positions.
     */
    public static long mismatches(ByteBuffer ours, ByteBuffer theirs) {
        int blocks = ours.remaining() / DIGEST;
        if (blocks > MAX_BLOCKS || theirs.remaining() != ours.remaining()) {
            throw new IllegalArgumentException(blocks + " blocks, " + theirs.remaining() + " vs "
                    + ours.remaining() + " digest bytes");
        }
        long differ = 0;
        for (int b = 0; b < blocks; b++) {
            int a = ours.position() + b * DIGEST;
            int t = theirs.position() + b * DIGEST;
            for (int i = 0; i < DIGEST; i += Long.BYTES) {
                if (ours.getLong(a + i) != theirs.getLong(t + i)) {
                    differ |= 1L << b;
                    break;
                }
            }
        }
        return differ;
    }
}
