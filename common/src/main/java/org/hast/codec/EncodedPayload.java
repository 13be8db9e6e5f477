package org.hast.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What the send stage made of one payload: the bytes to send and the nv fields to add before
 * {@code size}, in the reference's order (spec §4.1): [{@code compression} string]
 * [{@code checksum} string, {@code hash} uint8[]].
 *
 * <p>Owned and reused by its {@link PayloadCodec}: valid until that codec's next
 * {@code encode}. Copy what must outlive it.
 */
public final class EncodedPayload {
    /** nv field names used by the payload stages. */
    public static final String FIELD_COMPRESSION = "compression";
    public static final String FIELD_CHECKSUM = "checksum";
    public static final String FIELD_HASH = "hash";

    /** Receives the nv fields of a payload, so this package needs no nv dependency. */
    public interface FieldSink {
        void addString(String name, String value);

        void addUint8Array(String name, byte[] value, int offset, int length);
    }

    private ByteBuffer payload;
    private Compression compression = Compression.NONE;
    private ChecksumAlgorithm checksum = ChecksumAlgorithm.NONE;
    private final byte[] hash = new byte[ChecksumAlgorithm.MAX_HASH_LENGTH];

    EncodedPayload() {
    }

    void set(ByteBuffer payload, Compression compression) {
        this.payload = payload;
        this.compression = compression;
        this.checksum = ChecksumAlgorithm.NONE;
    }

    void setChecksum(ChecksumAlgorithm checksum) {
        this.checksum = checksum;
    }

    byte[] hashBuffer() {
        return hash;
    }

    /**
     * The bytes to send, from position to limit: either the caller's data buffer untouched,
     * or the caller's scratch buffer with its position where it was and its limit set to the
     * end of the encoded bytes.
     */
    public ByteBuffer payload() {
        return payload;
    }

    /** Payload bytes to send: the value of the {@code size} field. */
    public int size() {
        return payload.remaining();
    }

    /** The compression actually applied: {@link Compression#HOLE} even in lzf mode for zeros. */
    public Compression compression() {
        return compression;
    }

    /** The {@code compression} field value, or null when none is to be sent. */
    public String compressionName() {
        return compression == Compression.NONE ? null : compression.wireName();
    }

    public ChecksumAlgorithm checksum() {
        return checksum;
    }

    /** The {@code checksum} field value, or null when none is to be sent. */
    public String checksumName() {
        return checksum == ChecksumAlgorithm.NONE ? null : checksum.wireName();
    }

    /** Internal hash array; the first {@link #hashLength()} bytes are the {@code hash} field. */
    public byte[] hashArray() {
        return hash;
    }

    public int hashLength() {
        return checksum.hashLength();
    }

    /** A copy of the {@code hash} field (allocates; for tests and logging). */
    public byte[] hashCopy() {
        return Arrays.copyOf(hash, hashLength());
    }

    /** Feeds the fields to add, in wire order, to {@code sink}. */
    public void forEachField(FieldSink sink) {
        if (compression != Compression.NONE) {
            sink.addString(FIELD_COMPRESSION, compression.wireName());
        }
        if (checksum != ChecksumAlgorithm.NONE) {
            sink.addString(FIELD_CHECKSUM, checksum.wireName());
            sink.addUint8Array(FIELD_HASH, hash, 0, checksum.hashLength());
        }
    }
}
