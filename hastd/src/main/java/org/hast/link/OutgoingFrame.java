package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;

/**
 * A HAST message to send (spec §4.1): version byte, nv, and optional payload, written by
 * {@link HastFrameEncoder}. When there is a payload the nv must already end with the payload
 * stage's fields and {@code size} equal to the payload's readable bytes
 * ({@link org.hast.proto.PayloadFields#append}); the encoder cannot read an {@link NvWriter}
 * back to check it.
 *
 * <p>Ownership of the payload passes to the frame and, on write, to the channel. The nv
 * writer is read when the encoder runs on the event loop, so the caller must not change or
 * reuse it after {@code write}.
 */
public final class OutgoingFrame extends DefaultByteBufHolder {
    private final int version;
    private final NvWriter nv;

    /**
     * @param version the protocol version for the header, 0..{@link FrameHeader#MAX_VERSION}
     * @param nv      the message's fields
     * @param payload the payload or {@link Unpooled#EMPTY_BUFFER}
     */
    public OutgoingFrame(int version, NvWriter nv, ByteBuf payload) {
        super(payload);
        if (version < 0 || version > FrameHeader.MAX_VERSION) {
            throw new IllegalArgumentException("frame version " + version + " is not 0.."
                    + FrameHeader.MAX_VERSION);
        }
        if (nv == null) {
            throw new NullPointerException("nv");
        }
        this.version = version;
        this.nv = nv;
    }

    /** A message without payload. */
    public OutgoingFrame(int version, NvWriter nv) {
        this(version, nv, Unpooled.EMPTY_BUFFER);
    }

    public int version() {
        return version;
    }

    public NvWriter nv() {
        return nv;
    }

    public ByteBuf payload() {
        return content();
    }

    @Override
    public OutgoingFrame replace(ByteBuf content) {
        return new OutgoingFrame(version, nv, content);
    }

    @Override
    public OutgoingFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public OutgoingFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public OutgoingFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public OutgoingFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "OutgoingFrame[version=" + version + ", nv=" + nv.count() + " fields, payload="
                + content().readableBytes() + " bytes]";
    }
}
