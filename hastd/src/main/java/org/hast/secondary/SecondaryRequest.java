package org.hast.secondary;

import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;

import io.netty.buffer.ByteBuf;

/**
 * One request on its way from the receive thread to the disk thread (spec §11.7): the header's
 * fields the disk thread needs, read straight from the frame (no {@link RequestHeader} object
 * per request). A WRITE's {@code payloadFields} are null when its payload is the data itself (no
 * compression, no checksum). Objects from a {@link RequestPool} are filled by {@link #set} and
 * go back to it on {@link #release}: nobody may keep one after releasing it.
 */
final class SecondaryRequest {
    /** Null for a request made on its own (tests), which is not recycled. */
    private final RequestPool pool;
    private HioCommand cmd;
    private long seq;
    private long offset;
    private long length;
    private PayloadFields payloadFields;
    private ByteBuf payload;
    private int error;
    /** Set while filled: between {@link #set} and {@link #release}. */
    private boolean inUse;

    /** A pooled request, empty until {@link #set}. */
    SecondaryRequest(RequestPool pool) {
        this.pool = pool;
    }

    SecondaryRequest(HioCommand cmd, long seq, long offset, long length, PayloadFields payloadFields,
            ByteBuf payload, int error) {
        this.pool = null;
        set(cmd, seq, offset, length, payloadFields, payload, error);
    }

    /** Tests: a request from a header. */
    SecondaryRequest(RequestHeader header, PayloadFields payloadFields, ByteBuf payload, int error) {
        this(header.cmd(), header.seq(), header.offset(), header.length(), payloadFields, payload, error);
    }

    /** Fills an unused request; {@code payload}'s reference passes to it. */
    SecondaryRequest set(HioCommand cmd, long seq, long offset, long length, PayloadFields payloadFields,
            ByteBuf payload, int error) {
        if (inUse) {
            throw new IllegalStateException("request in use: " + this);
        }
        inUse = true;
        this.cmd = cmd;
        this.seq = seq;
        this.offset = offset;
        this.length = length;
        this.payloadFields = payloadFields;
        this.payload = payload;
        this.error = error;
        return this;
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

    /** Releases the payload and gives the object back to its pool; a second release throws. */
    void release() {
        if (!inUse) {
            throw new IllegalStateException("request released twice: " + this);
        }
        inUse = false;
        ByteBuf data = payload;
        payload = null;
        payloadFields = null;
        try {
            if (data != null) {
                data.release();
            }
        } finally {
            if (pool != null) {
                pool.giveBack(this);
            }
        }
    }

    @Override
    public String toString() {
        return "SecondaryRequest[" + cmd + ", seq=" + Long.toUnsignedString(seq) + ", offset="
                + Long.toUnsignedString(offset) + ", length=" + Long.toUnsignedString(length)
                + (error != 0 ? ", error=" + error : "") + "]";
    }
}
