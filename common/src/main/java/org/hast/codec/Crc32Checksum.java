package org.hast.codec;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * {@code checksum crc32}: zlib's CRC-32 (ISO-HDLC, which is what {@link CRC32} computes) of the
 * payload, stored as the reference stores its {@code uint32_t}: in host order, which is
 * little-endian on every platform hastd runs on (spec §10.1). "123456789" hashes to
 * 0xCBF43926, sent as {@code 26 39 f4 cb}.
 *
 * <p>Reuses one {@link CRC32}: not thread-safe.
 */
public final class Crc32Checksum implements PayloadChecksum {
    public static final int HASH_LENGTH = 4;

    private final CRC32 crc = new CRC32();

    @Override
    public ChecksumAlgorithm algorithm() {
        return ChecksumAlgorithm.CRC32;
    }

    /** The CRC-32 of {@code data[position, limit)}; the position does not move. */
    public int value(ByteBuffer data) {
        int position = data.position();
        crc.reset();
        crc.update(data);
        data.position(position);
        return (int) crc.getValue();
    }

    @Override
    public void compute(ByteBuffer data, byte[] hash, int hashOffset) {
        int v = value(data);
        hash[hashOffset] = (byte) v;
        hash[hashOffset + 1] = (byte) (v >>> 8);
        hash[hashOffset + 2] = (byte) (v >>> 16);
        hash[hashOffset + 3] = (byte) (v >>> 24);
    }
}
