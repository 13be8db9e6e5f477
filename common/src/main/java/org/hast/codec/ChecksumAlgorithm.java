package org.hast.codec;

/**
 * Payload checksum as configured on the sending side (spec §10.1). The wire carries the name
 * in the {@code checksum} nv string and the digest in the {@code hash} uint8 array, both only
 * when the algorithm is not {@link #NONE}. Numeric codes are the reference's
 * {@code HAST_CHECKSUM_*} values (Appendix B).
 */
public enum ChecksumAlgorithm {
    NONE("none", 0, 0),
    CRC32("crc32", 1, Crc32Checksum.HASH_LENGTH),
    SHA256("sha256", 2, Sha256Checksum.HASH_LENGTH);

    /** The longest hash any algorithm produces; sizes the reusable hash buffers. */
    public static final int MAX_HASH_LENGTH = Sha256Checksum.HASH_LENGTH;

    private final String wireName;
    private final int code;
    private final int hashLength;

    ChecksumAlgorithm(String wireName, int code, int hashLength) {
        this.wireName = wireName;
        this.code = code;
        this.hashLength = hashLength;
    }

    /** The reference's {@code checksum_name()}: "none", "crc32" or "sha256". */
    public String wireName() {
        return wireName;
    }

    public int code() {
        return code;
    }

    /** Bytes in the {@code hash} field: 4 for crc32, 32 for sha256, 0 for none. */
    public int hashLength() {
        return hashLength;
    }

    /**
     * The algorithm with this name, "none" included, or null when unknown. A received
     * {@code checksum} field never legitimately says "none": {@link PayloadCodec} refuses it.
     */
    public static ChecksumAlgorithm fromWireName(String name) {
        for (ChecksumAlgorithm c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The algorithm with this Appendix B code (the parent → worker channel), or null. */
    public static ChecksumAlgorithm fromCode(int code) {
        for (ChecksumAlgorithm c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The word written in hast.conf and printed by {@code hastctl list}: the wire name. */
    @Override
    public String toString() {
        return wireName;
    }
}
