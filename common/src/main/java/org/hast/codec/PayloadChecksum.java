package org.hast.codec;

import java.nio.ByteBuffer;

/**
 * One payload hash algorithm of spec §10.1. Implementations keep their digest state between
 * calls to avoid allocation, so an instance is not thread-safe: use one per thread.
 */
public interface PayloadChecksum {
    /** The algorithm, for the {@code checksum} field and the hash length. */
    ChecksumAlgorithm algorithm();

    /** Bytes {@link #compute} writes: the length of the {@code hash} field. */
    default int hashLength() {
        return algorithm().hashLength();
    }

    /**
     * Hashes {@code data[position, limit)} without moving its position and writes
     * {@link #hashLength()} bytes to {@code hash} at {@code hashOffset}.
     */
    void compute(ByteBuffer data, byte[] hash, int hashOffset);

    /** The implementation for {@code algorithm}, or null for {@link ChecksumAlgorithm#NONE}. */
    static PayloadChecksum create(ChecksumAlgorithm algorithm) {
        switch (algorithm) {
            case NONE:
                return null;
            case CRC32:
                return new Crc32Checksum();
            case SHA256:
                return new Sha256Checksum();
            default:
                throw new IllegalArgumentException("unknown checksum " + algorithm);
        }
    }
}
