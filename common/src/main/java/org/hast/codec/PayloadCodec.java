package org.hast.codec;

import java.nio.ByteBuffer;

/**
 * The two payload stages of {@code hast_proto_send}/{@code hast_proto_recv_data} (spec §10):
 * on send, compression then a checksum of the possibly compressed bytes; on receive, checksum
 * verification then decompression. The sender's configuration picks the algorithms; the
 * receiver needs none because the nv fields name them.
 *
 * <p>Buffers come from the caller (pooled MAXPHYS buffers in hastd); the hot path allocates
 * nothing beyond what {@link java.security.MessageDigest} does internally. An instance keeps
 * an LZF hash table and digest state, so it is not thread-safe: one per sending or receiving
 * thread.
 *
 * <p>Every malformed input on the receive side is a {@link CodecException}, never another
 * exception and never an abort (decisions A29, where the reference asserts).
 */
public final class PayloadCodec {
    /** {@code HAST_LZF_COMPRESS_MIN}: payloads up to this size are never LZF-compressed. */
    public static final int LZF_COMPRESS_MIN = 1024;
    /** The uint32 LE original length in front of an LZF stream. */
    public static final int LZF_HEADER_LENGTH = 4;

    // Volatile: a reload sets them on the encoding thread; the primary's sync steps read them on theirs.
    private volatile Compression compression;
    private volatile ChecksumAlgorithm checksum;
    private final Lzf lzf = new Lzf();
    private final EncodedPayload encoded = new EncodedPayload();
    private final byte[] computedHash = new byte[ChecksumAlgorithm.MAX_HASH_LENGTH];
    private Crc32Checksum crc32;
    private Sha256Checksum sha256;

    /** A codec that sends with {@code compression} and {@code checksum}. */
    public PayloadCodec(Compression compression, ChecksumAlgorithm checksum) {
        configure(compression, checksum);
    }

    /** A codec for the receive side only (it sends uncompressed and unchecked). */
    public PayloadCodec() {
        this(Compression.NONE, ChecksumAlgorithm.NONE);
    }

    /** Changes the send-side algorithms, e.g. after a configuration reload (spec §1.9). */
    public void configure(Compression compression, ChecksumAlgorithm checksum) {
        if (compression == null || checksum == null) {
            throw new NullPointerException("compression and checksum must not be null");
        }
        this.compression = compression;
        this.checksum = checksum;
    }

    public Compression compression() {
        return compression;
    }

    public ChecksumAlgorithm checksum() {
        return checksum;
    }

    /** Whether {@link #encode} would send the data as it is, with no field but the size. */
    public boolean isPlain() {
        return compression == Compression.NONE && checksum == ChecksumAlgorithm.NONE;
    }

    /**
     * The send stage for {@code data[position, limit)}; {@code data} is not modified and its
     * position does not move.
     *
     * <ul>
     * <li>hole (and lzf): an all-zero payload becomes its uint32 LE length, 4 bytes;
     * <li>lzf: otherwise, if longer than {@value #LZF_COMPRESS_MIN} bytes, the uint32 LE
     * length followed by the LZF stream, provided the stream fits in {@code length - 1024}
     * bytes; else the data goes as it is.
     * </ul>
     *
     * Encoded bytes are written to {@code scratch} from its position; give it at least
     * {@code data.remaining()} bytes (a smaller one just means less gets compressed). Its
     * position stays and its limit is set to the end of the encoded bytes. The checksum, if
     * configured, covers the bytes actually sent.
     *
     * @return this codec's reusable result, valid until the next call
     */
    public EncodedPayload encode(ByteBuffer data, ByteBuffer scratch) {
        compress(data, scratch);
        ChecksumAlgorithm algorithm = checksum;
        if (algorithm != ChecksumAlgorithm.NONE) {
            checksummer(algorithm).compute(encoded.payload(), encoded.hashBuffer(), 0);
            encoded.setChecksum(algorithm);
        }
        return encoded;
    }

    private void compress(ByteBuffer data, ByteBuffer scratch) {
        encoded.set(data, Compression.NONE);
        if (compression == Compression.NONE) {
            return;
        }
        final int length = data.remaining();
        final int outStart = scratch.position();
        if (scratch.remaining() >= Hole.ENCODED_LENGTH && Hole.isAllZero(data)) {
            Hole.putLe32(scratch, outStart, length);
            scratch.limit(outStart + Hole.ENCODED_LENGTH);
            encoded.set(scratch, Compression.HOLE);
            return;
        }
        if (compression != Compression.LZF || length <= LZF_COMPRESS_MIN
                || scratch.remaining() <= LZF_HEADER_LENGTH) {
            return;
        }
        final int dataStart = data.position();
        scratch.position(outStart + LZF_HEADER_LENGTH);
        int n = lzf.compress(data, scratch, length - LZF_COMPRESS_MIN);
        data.position(dataStart);
        scratch.position(outStart);
        if (n == 0) {
            return;
        }
        Hole.putLe32(scratch, outStart, length);
        scratch.limit(outStart + LZF_HEADER_LENGTH + n);
        encoded.set(scratch, Compression.LZF);
    }

    /**
     * The receive stage. {@code compressionName}, {@code checksumName} and {@code hash} are the
     * received nv fields ({@code null} when absent); {@code payload[position, limit)} are the
     * received bytes, which are not modified and whose position does not move.
     *
     * <p>Checksum first: no {@code checksum} field means no check (a {@code hash} alone is
     * ignored); otherwise a missing hash, an unknown algorithm, a hash of the wrong length or
     * a mismatch fails. Then decompression: no {@code compression} field returns
     * {@code payload} itself; {@code hole} needs exactly 4 bytes; {@code lzf} needs more than
     * 4 bytes, an original length above {@value #LZF_COMPRESS_MIN} that fits in {@code out},
     * and a stream that decodes to exactly that length. Decoded bytes go to {@code out} from
     * its position, never past its limit.
     *
     * @return {@code payload} when it was not compressed, otherwise {@code out} with its
     *     position unchanged and its limit at the end of the decoded bytes
     * @throws CodecException for any payload that fails these rules; {@code out}'s position
     *     and limit are then unchanged but its contents may have been overwritten
     */
    public ByteBuffer decode(String compressionName, String checksumName, ByteBuffer hash,
            ByteBuffer payload, ByteBuffer out) throws CodecException {
        verify(checksumName, hash, payload);
        if (compressionName == null) {
            return payload;
        }
        switch (compressionName) {
            case "hole":
                return decodeHole(payload, out);
            case "lzf":
                return decodeLzf(payload, out);
            default:
                throw new CodecException("Unknown compression algorithm '" + compressionName
                        + "'.");
        }
    }

    /** {@link #decode(String, String, ByteBuffer, ByteBuffer, ByteBuffer)} with a byte[] hash. */
    public ByteBuffer decode(String compressionName, String checksumName, byte[] hash,
            ByteBuffer payload, ByteBuffer out) throws CodecException {
        return decode(compressionName, checksumName, hash == null ? null : ByteBuffer.wrap(hash),
                payload, out);
    }

    /**
     * The checksum half of the receive stage alone, with the reference's log messages
     * ({@code checksum_recv}). The payload's position does not move.
     */
    public void verify(String checksumName, ByteBuffer hash, ByteBuffer payload)
            throws CodecException {
        if (checksumName == null) {
            return;
        }
        if (hash == null) {
            throw new CodecException("Hash is missing.");
        }
        ChecksumAlgorithm algorithm = ChecksumAlgorithm.fromWireName(checksumName);
        if (algorithm == null || algorithm == ChecksumAlgorithm.NONE) {
            throw new CodecException("Unknown checksum algorithm '" + checksumName + "'.");
        }
        int expected = algorithm.hashLength();
        if (hash.remaining() != expected) {
            throw new CodecException("Invalid hash size (" + hash.remaining() + ") for "
                    + checksumName + ", should be " + expected + ".");
        }
        checksummer(algorithm).compute(payload, computedHash, 0);
        int h = hash.position();
        int diff = 0;
        for (int i = 0; i < expected; i++) {
            diff |= computedHash[i] ^ hash.get(h + i);
        }
        if (diff != 0) {
            throw new CodecException("Hash mismatch.");
        }
    }

    private static ByteBuffer decodeHole(ByteBuffer payload, ByteBuffer out)
            throws CodecException {
        int start = out.position();
        int n = Hole.decode(payload, out);
        out.position(start);
        out.limit(start + n);
        return out;
    }

    private ByteBuffer decodeLzf(ByteBuffer payload, ByteBuffer out)
            throws CodecException {
        int size = payload.remaining();
        if (size <= LZF_HEADER_LENGTH) {
            throw new CodecException("Unable to decompress (invalid size: " + size
                    + "): an lzf payload needs more than " + LZF_HEADER_LENGTH + " bytes.");
        }
        int payloadStart = payload.position();
        long origSize = Hole.getLe32(payload, payloadStart);
        if (origSize <= LZF_COMPRESS_MIN) {
            throw new CodecException("Unable to decompress (invalid original size: " + origSize
                    + "): lzf is only used above " + LZF_COMPRESS_MIN + " bytes.");
        }
        if (origSize > out.remaining()) {
            throw new CodecException("Unable to decompress (original size " + origSize
                    + " exceeds the " + out.remaining() + "-byte buffer).");
        }
        int outStart = out.position();
        int outLimit = out.limit();
        int n;
        try {
            payload.position(payloadStart + LZF_HEADER_LENGTH);
            out.limit(outStart + (int) origSize);
            n = lzf.decompress(payload, out);
        } catch (CodecException e) {
            out.limit(outLimit);
            throw new CodecException("Unable to decompress: " + e.getMessage());
        } finally {
            payload.position(payloadStart);
            out.position(outStart);
        }
        if (n != origSize) {
            out.limit(outLimit);
            throw new CodecException("Unable to decompress: lzf payload decoded to " + n
                    + " bytes, its header says " + origSize + ".");
        }
        return out;
    }

    private PayloadChecksum checksummer(ChecksumAlgorithm algorithm) {
        switch (algorithm) {
            case CRC32:
                if (crc32 == null) {
                    crc32 = new Crc32Checksum();
                }
                return crc32;
            case SHA256:
                if (sha256 == null) {
                    sha256 = new Sha256Checksum();
                }
                return sha256;
            default:
                throw new IllegalArgumentException("no checksum for " + algorithm);
        }
    }
}
