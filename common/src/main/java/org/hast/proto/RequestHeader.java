package org.hast.proto;

import java.math.BigInteger;
import java.util.Objects;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;

/**
 * A request header, primary → secondary on out (spec §4.4):
 * <pre>
 * cmd     uint8   HIO_READ 1, WRITE 2, DELETE 3, FLUSH 4, KEEPALIVE 5
 * seq     uint64  non-zero request id                  (absent for KEEPALIVE)
 * offset  uint64  byte offset in the data area         (absent for KEEPALIVE; 0 for FLUSH)
 * length  uint64  bytes                                (absent for KEEPALIVE; 0 for FLUSH)
 * memsync uint8 1 only for memsync-mode regular WRITEs
 * </pre>
 * followed, for a WRITE, by the payload fields ({@link PayloadFields}), which this class
 * neither writes nor reads.
 *
 * <p>{@link #fromNv} never fails: it records what arrived, raw, and {@link #validate} judges
 * it as the secondary's {@code requnpack} does, so that the reply can carry the received
 * {@code seq} and EINVAL. {@code seq}, {@code offset} and {@code length} are unsigned 64-bit
 * values kept in longs.
 */
public final class RequestHeader {
    public static final String FIELD_CMD = "cmd";
    public static final String FIELD_SEQ = "seq";
    public static final String FIELD_OFFSET = "offset";
    public static final String FIELD_LENGTH = "length";
    public static final String FIELD_MEMSYNC = "memsync";

    private static final RequestHeader KEEPALIVE =
            new RequestHeader(HioCommand.KEEPALIVE.code(), 0, 0, 0, false, false, false);

    /** The raw uint8; 0 when missing or of another type. */
    private final int cmdCode;
    private final long seq;
    private final long offset;
    private final long length;
    private final boolean memsync;
    /** Whether the field existed as a uint64 (the reference's {@code nv_error} check). */
    private final boolean hasOffset;
    private final boolean hasLength;

    private RequestHeader(int cmdCode, long seq, long offset, long length, boolean memsync,
            boolean hasOffset, boolean hasLength) {
        this.cmdCode = cmdCode;
        this.seq = seq;
        this.offset = offset;
        this.length = length;
        this.memsync = memsync;
        this.hasOffset = hasOffset;
        this.hasLength = hasLength;
    }

    public static RequestHeader read(long seq, long offset, long length) {
        return io(HioCommand.READ, seq, offset, length, false);
    }

    /** A WRITE; {@code memsync} only for regular writes in memsync mode, never for sync. */
    public static RequestHeader write(long seq, long offset, long length, boolean memsync) {
        return io(HioCommand.WRITE, seq, offset, length, memsync);
    }

    public static RequestHeader delete(long seq, long offset, long length) {
        return io(HioCommand.DELETE, seq, offset, length, false);
    }

    /** Our block-hash request (docs/integrity.md); only for a peer that offered it. */
    public static RequestHeader hash(long seq, long offset, long length) {
        return io(HioCommand.HASH, seq, offset, length, false);
    }

    /** A FLUSH: offset and length are sent as 0. */
    public static RequestHeader flush(long seq) {
        return io(HioCommand.FLUSH, seq, 0, 0, false);
    }

    /** {@code {cmd = 5}} and nothing else. */
    public static RequestHeader keepalive() {
        return KEEPALIVE;
    }

    private static RequestHeader io(HioCommand cmd, long seq, long offset, long length,
            boolean memsync) {
        if (seq == 0) {
            throw new IllegalArgumentException("seq 0 is reserved: it means 'missing'");
        }
        return new RequestHeader(cmd.code(), seq, offset, length, memsync, true, true);
    }

    /**
     * Records a received header without judging it. {@code cmd} and {@code seq} are read
     * leniently (missing or mistyped → 0); {@code offset} and {@code length} also remember
     * whether they were there as uint64; {@code memsync} is set for a WRITE that has any field
     * of that name, whatever its type ({@code nv_exists}), and ignored for other commands.
     */
    public static RequestHeader fromNv(NvMessage nv) {
        int cmdCode = cmdCodeIn(nv);
        return new RequestHeader(cmdCode, nv.getUint64(FIELD_SEQ), nv.getUint64(FIELD_OFFSET),
                nv.getUint64(FIELD_LENGTH), memsyncIn(nv, cmdCode), hasUint64(nv, FIELD_OFFSET),
                hasUint64(nv, FIELD_LENGTH));
    }

    // {@link #fromNv}'s reads one by one, for the secondary's receiver: no header object per request.

    /** The raw {@code cmd}, 0 when missing or of another type. */
    public static int cmdCodeIn(NvMessage nv) {
        return nv.getUint8(FIELD_CMD);
    }

    /** Whether the field exists as a uint64 (the reference's {@code nv_error} check). */
    public static boolean hasUint64(NvMessage nv, String field) {
        return nv.typeOf(field) == NvType.UINT64;
    }

    /** {@code memsync}: any field of that name in a WRITE ({@code nv_exists}). */
    public static boolean memsyncIn(NvMessage nv, int cmdCode) {
        return cmdCode == HioCommand.WRITE.code() && nv.has(FIELD_MEMSYNC);
    }

    /**
     * {@code cmd}, then for everything but KEEPALIVE {@code seq}, {@code offset},
     * {@code length} and, when set, {@code memsync}: the reference's fields and order.
     */
    public NvWriter toNv() {
        NvWriter nv = new NvWriter(160);
        if (cmdCode == HioCommand.KEEPALIVE.code()) {
            return nv.addUint8(FIELD_CMD, cmdCode);
        }
        return addFields(nv, cmdCode, seq, offset, length, memsync);
    }

    /**
     * The fields of {@link #toNv} for a request other than KEEPALIVE, appended to {@code nv}
     * without a header object: the primary's sender reuses one writer for every request.
     */
    public static NvWriter writeRequest(NvWriter nv, HioCommand cmd, long seq, long offset, long length,
            boolean memsync) {
        if (cmd == HioCommand.KEEPALIVE) {
            throw new IllegalArgumentException("KEEPALIVE has no request fields");
        }
        if (seq == 0) {
            throw new IllegalArgumentException("seq 0 is reserved: it means 'missing'");
        }
        boolean flush = cmd == HioCommand.FLUSH;
        return addFields(nv, cmd.code(), seq, flush ? 0 : offset, flush ? 0 : length, memsync);
    }

    private static NvWriter addFields(NvWriter nv, int cmdCode, long seq, long offset, long length,
            boolean memsync) {
        nv.addUint8(FIELD_CMD, cmdCode)
                .addUint64(FIELD_SEQ, seq)
                .addUint64(FIELD_OFFSET, offset)
                .addUint64(FIELD_LENGTH, length);
        if (memsync) {
            nv.addUint8(FIELD_MEMSYNC, 1);
        }
        return nv;
    }

    /**
     * The secondary's checks ({@code requnpack}), in the reference's order, each with the
     * reference's log line; the first failure wins and every failure is EINVAL:
     * <ol>
     * <li>{@code cmd} present (non-zero);</li>
     * <li>{@code seq} non-zero, except for KEEPALIVE;</li>
     * <li>FLUSH and KEEPALIVE: accepted, offset and length ignored;</li>
     * <li>READ, WRITE, DELETE: {@code offset} and {@code length} present, {@code length}
     *     non-zero and at most {@code maxPhys} (not for DELETE), both multiples of
     *     {@code sectorSize}, and {@code offset + length <= dataSize};</li>
     * <li>any other {@code cmd}: refused (decisions A13: the reference aborts later).</li>
     * </ol>
     * Deliberate difference: {@code offset + length} is compared without 64-bit wrap-around,
     * so an offset near 2^64 cannot slip past the end-of-device check as it does in C.
     *
     * @param dataSize   the local data size in bytes
     * @param sectorSize the local sector size in bytes, positive
     * @param maxPhys    the largest READ/WRITE accepted (MAXPHYS, 1 MiB here)
     */
    public RequestCheck validate(long dataSize, int sectorSize, int maxPhys) {
        return validate(cmdCode, seq, offset, length, hasOffset, hasLength, dataSize, sectorSize, maxPhys);
    }

    /** {@link #validate(long, int, int)} of a header read field by field (see {@link #fromNv}). */
    public static RequestCheck validate(int cmdCode, long seq, long offset, long length, boolean hasOffset,
            boolean hasLength, long dataSize, int sectorSize, int maxPhys) {
        if (dataSize < 0 || sectorSize <= 0 || maxPhys <= 0) {
            throw new IllegalArgumentException("dataSize " + dataSize + ", sectorSize "
                    + sectorSize + ", maxPhys " + maxPhys);
        }
        if (cmdCode == 0) {
            return RequestCheck.invalid("Header contains no 'cmd' field.");
        }
        HioCommand cmd = HioCommand.fromCode(cmdCode);
        if (cmd != HioCommand.KEEPALIVE && seq == 0) {
            return RequestCheck.invalid("Header contains no 'seq' field.");
        }
        switch (cmd) {
            case FLUSH:
            case KEEPALIVE:
                return RequestCheck.OK;
            case READ:
            case WRITE:
            case DELETE:
            case HASH:
                return checkRange(cmd, offset, length, hasOffset, hasLength, dataSize, sectorSize, maxPhys);
            default:
                return RequestCheck.invalid("Header contains invalid 'cmd' (" + cmdCode + ").");
        }
    }

    private static RequestCheck checkRange(HioCommand cmd, long offset, long length, boolean hasOffset,
            boolean hasLength, long dataSize, int sectorSize, int maxPhys) {
        if (!hasOffset) {
            return RequestCheck.invalid("Header is missing 'offset' field.");
        }
        if (!hasLength) {
            return RequestCheck.invalid("Header is missing 'length' field.");
        }
        if (length == 0) {
            return RequestCheck.invalid("Data length is zero.");
        }
        if (cmd != HioCommand.DELETE && Long.compareUnsigned(length, maxPhys) > 0) {
            return RequestCheck.invalid("Data length is too large ("
                    + Long.toUnsignedString(length) + " > " + maxPhys + ").");
        }
        if (Long.remainderUnsigned(offset, sectorSize) != 0) {
            return RequestCheck.invalid("Offset " + Long.toUnsignedString(offset)
                    + " is not multiple of sector size.");
        }
        if (Long.remainderUnsigned(length, sectorSize) != 0) {
            return RequestCheck.invalid("Length " + Long.toUnsignedString(length)
                    + " is not multiple of sector size.");
        }
        // end = offset + length as an unsigned 65-bit value: past dataSize (< 2^63) if the
        // 64-bit sum wrapped, or if it did not wrap and is larger.
        long end = offset + length;
        boolean wrapped = Long.compareUnsigned(end, offset) < 0;
        if (wrapped || Long.compareUnsigned(end, dataSize) > 0) {
            return RequestCheck.invalid("Data offset is too large (" + unsignedSum(offset, length) + " > "
                    + dataSize + ").");
        }
        return RequestCheck.OK;
    }

    private static String unsignedSum(long offset, long length) {
        BigInteger mask = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        return BigInteger.valueOf(offset).and(mask)
                .add(BigInteger.valueOf(length).and(mask)).toString();
    }

    /** The command, {@link HioCommand#UNDEF} when {@code cmd} was missing or unknown. */
    public HioCommand cmd() {
        return HioCommand.fromCode(cmdCode);
    }

    /** The raw {@code cmd} value as received, 0 when missing or of another type. */
    public int cmdCode() {
        return cmdCode;
    }

    /** The request id as received (0 when missing), echoed in the reply. */
    public long seq() {
        return seq;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    /** Whether the secondary must send the early {@code received} acknowledgement (§4.6). */
    public boolean memsync() {
        return memsync;
    }

    /** Whether {@code offset} arrived as a uint64 (always true for built headers). */
    public boolean hasOffset() {
        return hasOffset;
    }

    /** Whether {@code length} arrived as a uint64 (always true for built headers). */
    public boolean hasLength() {
        return hasLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestHeader other && other.cmdCode == cmdCode && other.seq == seq
                && other.offset == offset && other.length == length
                && other.memsync == memsync && other.hasOffset == hasOffset
                && other.hasLength == hasLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cmdCode, seq, offset, length, memsync, hasOffset, hasLength);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RequestHeader[cmd=");
        HioCommand cmd = cmd();
        sb.append(cmd == HioCommand.UNDEF ? Integer.toString(cmdCode) : cmd.name());
        if (cmd == HioCommand.KEEPALIVE) {
            return sb.append(']').toString();
        }
        sb.append(", seq=").append(Long.toUnsignedString(seq))
                .append(", offset=").append(hasOffset ? Long.toUnsignedString(offset) : "-")
                .append(", length=").append(hasLength ? Long.toUnsignedString(length) : "-");
        if (memsync) {
            sb.append(", memsync");
        }
        return sb.append(']').toString();
    }
}
