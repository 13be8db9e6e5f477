package org.hast.codec;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code checksum sha256}: the 32-byte SHA-256 digest of the payload (spec §10.1).
 *
 * <p>Reuses one {@link MessageDigest}: not thread-safe.
 */
public final class Sha256Checksum implements PayloadChecksum {
    public static final int HASH_LENGTH = 32;

    private final MessageDigest digest;

    public Sha256Checksum() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE platform must provide SHA-256.
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }

    @Override
    public ChecksumAlgorithm algorithm() {
        return ChecksumAlgorithm.SHA256;
    }

    @Override
    public void compute(ByteBuffer data, byte[] hash, int hashOffset) {
        int position = data.position();
        digest.reset();
        digest.update(data);
        data.position(position);
        try {
            digest.digest(hash, hashOffset, HASH_LENGTH);
        } catch (DigestException e) {
            // Only thrown when the destination is too small, which is a caller bug.
            throw new IllegalArgumentException("hash buffer too small for SHA-256", e);
        }
    }
}
