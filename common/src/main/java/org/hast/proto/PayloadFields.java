package org.hast.proto;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.hast.codec.EncodedPayload;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * The nv fields of the payload stage (spec §4.1, §10), always after the message's own fields:
 * [{@code compression} string] [{@code checksum} string, {@code hash} uint8[]]
 * {@code size} uint32. {@code size} is the number of payload bytes on the stream (after
 * compression), present whenever the sender passed a data buffer.
 *
 * @param compression the {@code compression} value, or null
 * @param checksum    the {@code checksum} value, or null
 * @param hash        the {@code hash} bytes (copied in and out), or null
 * @param size        the {@code size} value, 0..2^32-1
 */
public record PayloadFields(String compression, String checksum, byte[] hash, long size) {
    public static final String FIELD_COMPRESSION = EncodedPayload.FIELD_COMPRESSION;
    public static final String FIELD_CHECKSUM = EncodedPayload.FIELD_CHECKSUM;
    public static final String FIELD_HASH = EncodedPayload.FIELD_HASH;
    public static final String FIELD_SIZE = "size";

    public PayloadFields {
        if (size < 0 || size > 0xffff_ffffL) {
            throw new IllegalArgumentException("size " + size + " is not a uint32");
        }
        hash = hash == null ? null : hash.clone();
    }

    @Override
    public byte[] hash() {
        return hash == null ? null : hash.clone();
    }

    /**
     * What a receiver reads ({@code hast_proto_recv_data}): each field leniently, a missing
     * or mistyped one as null or 0. Whether a {@code hash} without a {@code checksum} matters
     * or a {@code checksum} without a {@code hash} fails ("Hash is missing.") is for the
     * receive stage ({@link org.hast.codec.PayloadCodec#decode}) to say.
     */
    public static PayloadFields fromNv(NvMessage nv) {
        ByteBuffer h = nv.getUint8Array(FIELD_HASH);
        byte[] hash = null;
        if (h != null) {
            hash = new byte[h.remaining()];
            h.duplicate().get(hash);
        }
        return new PayloadFields(nv.getString(FIELD_COMPRESSION), nv.getString(FIELD_CHECKSUM),
                hash, nv.getUint32(FIELD_SIZE));
    }

    /**
     * Whether a receiver must run the payload through the codec: a {@code compression} or a
     * {@code checksum} string is there (a {@code hash} alone is ignored, as by
     * {@link org.hast.codec.PayloadCodec#decode}). Without either the payload is the data, and
     * {@link #fromNv} need not be called.
     */
    public static boolean encoded(NvMessage nv) {
        return nv.getString(FIELD_COMPRESSION) != null || nv.getString(FIELD_CHECKSUM) != null;
    }

    /**
     * Appends the fields to a message's own fields, in wire order.
     *
     * @throws IllegalStateException when only one of {@code checksum} and {@code hash} is set
     */
    public NvWriter appendTo(NvWriter nv) {
        if ((checksum == null) != (hash == null)) {
            throw new IllegalStateException("checksum and hash are sent together");
        }
        if (compression != null) {
            nv.addString(FIELD_COMPRESSION, compression);
        }
        if (checksum != null) {
            nv.addString(FIELD_CHECKSUM, checksum);
            nv.addUint8Array(FIELD_HASH, hash);
        }
        return nv.addUint32(FIELD_SIZE, size);
    }

    /**
     * Appends what the send stage made of a payload: its fields, then {@code size} =
     * {@code encoded.size()} ({@code hast_proto_send}).
     */
    public static NvWriter append(NvWriter nv, EncodedPayload encoded) {
        Objects.requireNonNull(nv, "nv");
        encoded.forEachField(new EncodedPayload.FieldSink() {
            @Override
            public void addString(String name, String value) {
                nv.addString(name, value);
            }

            @Override
            public void addUint8Array(String name, byte[] value, int offset, int length) {
                nv.addUint8Array(name, ByteBuffer.wrap(value, offset, length));
            }
        });
        return nv.addUint32(FIELD_SIZE, encoded.size());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PayloadFields other && Objects.equals(other.compression, compression)
                && Objects.equals(other.checksum, checksum) && Arrays.equals(other.hash, hash)
                && other.size == size;
    }

    @Override
    public int hashCode() {
        return Objects.hash(compression, checksum, Arrays.hashCode(hash), size);
    }

    @Override
    public String toString() {
        return "PayloadFields[compression=" + compression + ", checksum=" + checksum
                + ", hash=" + (hash == null ? null : HexFormat.of().formatHex(hash))
                + ", size=" + size + "]";
    }
}
