package org.hast.proto;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * A reply header, secondary → primary on in (spec §4.5):
 * <pre>
 * seq      uint64  copied from the request
 * received int8 1  only in the early memsync acknowledgement (§4.6)
 * error    int16   errno, only when non-zero; FreeBSD's number ({@link WireErrno})
 * </pre>
 * followed, for a successful READ, by the payload fields ({@link PayloadFields}).
 *
 * @param seq      the request id (unsigned 64 bits); 0 only when echoing a request that
 *                 arrived without one
 * @param received whether this is the memsync "data received" acknowledgement
 * @param error    the errno in this host's (Linux) numbering, 0 for success; translated to
 *                 and from FreeBSD's numbering by {@link #toNv} and {@link #fromNv}
 */
public record ReplyHeader(long seq, boolean received, int error) {
    public static final String FIELD_SEQ = "seq";
    public static final String FIELD_RECEIVED = "received";
    public static final String FIELD_ERROR = "error";

    public ReplyHeader {
        if (error < Short.MIN_VALUE || error > Short.MAX_VALUE) {
            throw new IllegalArgumentException("error " + error + " is not an int16");
        }
    }

    /** The final reply of a request that succeeded. */
    public static ReplyHeader done(long seq) {
        return new ReplyHeader(seq, false, 0);
    }

    /** The final reply of a request that failed with {@code errno}. */
    public static ReplyHeader failed(long seq, int errno) {
        return new ReplyHeader(seq, false, errno);
    }

    /** The early memsync acknowledgement {@code {seq, received = 1}}. */
    public static ReplyHeader received(long seq) {
        return new ReplyHeader(seq, true, 0);
    }

    /** {@code seq}, [{@code received}], [{@code error}]: the reference's order. */
    public NvWriter toNv() {
        return writeTo(new NvWriter(96));
    }

    /** {@code done(seq).writeTo(nv)} without a header object: the secondary's reply to most requests. */
    public static NvWriter writeDone(NvWriter nv, long seq) {
        return nv.addUint64(FIELD_SEQ, seq);
    }

    /** {@code received(seq).writeTo(nv)} without a header object: the secondary's memsync acknowledgement. */
    public static NvWriter writeReceived(NvWriter nv, long seq) {
        return nv.addUint64(FIELD_SEQ, seq).addInt8(FIELD_RECEIVED, 1);
    }

    /** {@link #toNv}'s fields appended to {@code nv} (a cleared, reused writer), which is returned. */
    public NvWriter writeTo(NvWriter nv) {
        nv.addUint64(FIELD_SEQ, seq);
        if (received) {
            nv.addInt8(FIELD_RECEIVED, 1);
        }
        if (error != 0) {
            nv.addInt16(FIELD_ERROR, WireErrno.toWire(error));
        }
        return nv;
    }

    /**
     * Reads a reply as the primary does: {@code seq} must be a non-zero uint64;
     * {@code received} counts when a field of that name exists; {@code error} is read as int16
     * (missing or of another type → 0) and translated from FreeBSD's numbering. Matching {@code seq} against the requests in flight
     * is the caller's job ("Found no request matching received 'seq' field (N).").
     *
     * @throws ProtocolException "Header contains no 'seq' field." The reference logs it and
     *         ignores the reply; any payload it announced is still on the stream.
     */
    public static ReplyHeader fromNv(NvMessage nv) throws ProtocolException {
        return new ReplyHeader(seqOf(nv), receivedIn(nv), errorIn(nv));
    }

    /** {@link #fromNv}'s {@code seq}, without a header object (the primary's reply path). */
    public static long seqOf(NvMessage nv) throws ProtocolException {
        long seq = nv.getUint64(FIELD_SEQ);
        if (seq == 0) {
            throw new ProtocolException("Header contains no 'seq' field.");
        }
        return seq;
    }

    /** {@link #fromNv}'s {@code received}, without a header object. */
    public static boolean receivedIn(NvMessage nv) {
        return nv.has(FIELD_RECEIVED);
    }

    /** {@link #fromNv}'s {@code error}, in this host's numbering, without a header object. */
    public static int errorIn(NvMessage nv) {
        return WireErrno.fromWire(nv.getInt16(FIELD_ERROR));
    }
}
