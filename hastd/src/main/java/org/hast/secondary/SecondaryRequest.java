package org.hast.secondary;

import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;

import io.netty.buffer.ByteBuf;

/**
 * One request on its way from the receive thread to the disk thread (spec §11.7): the header's
 * fields the disk thread needs, read straight from the frame (no {@link RequestHeader} object
 * per request). A WRITE's {@code payloadFields} are null when its payload is the data itself (no
 * compression, no checksum).
 */
final class SecondaryRequest {
    private final HioCommand cmd;
    private final long seq;
    private final long offset;
    private final long length;
    private final PayloadFields payloadFields;
    private final ByteBuf payload;
    private final int error;

    SecondaryRequest(HioCommand cmd, long seq, long offset, long length, PayloadFields payloadFields,
            ByteBuf payload, int error) {
        this.cmd = cmd;
        this.seq = seq;
        this.offset = offset;
        this.length = length;
        this.payloadFields = payloadFields;
        this.payload = payload;
        this.error = error;
    }

    /** Tests: a request from a header. */
    SecondaryRequest(RequestHeader header, PayloadFields payloadFields, ByteBuf payload, int error) {
        this(header.cmd(), header.seq(), header.offset(), header.length(), payloadFields, payload, error);
    }

    /** The command, {@link HioCommand#UNDEF} when {@code cmd} was missing or unknown. */
    HioCommand cmd() {
        return cmd;
    }

    /** The request id as received (0 when missing), echoed in the reply. */
    long seq() {
        return seq;
    }

    long offset() {
        return offset;
    }

    long length() {
        return length;
    }

    PayloadFields payloadFields() {
        return payloadFields;
    }

    ByteBuf payload() {
        return payload;
    }

    /** The errno to answer with instead of applying the request, 0 for none. */
    int error() {
        return error;
    }

    void release() {
        if (payload != null) {
            payload.release();
        }
    }

    @Override
    public String toString() {
        return "SecondaryRequest[" + cmd + ", seq=" + Long.toUnsignedString(seq) + ", offset="
                + Long.toUnsignedString(offset) + ", length=" + Long.toUnsignedString(length)
                + (error != 0 ? ", error=" + error : "") + "]";
    }
}
