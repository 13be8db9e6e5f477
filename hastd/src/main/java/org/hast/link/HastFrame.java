package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

import org.hast.nv.NvMessage;

/**
 * One received HAST message (spec §4.1): the header's version byte, the decoded nv, and the
 * payload announced by its {@code size} field. The payload is a retained slice of the
 * decoder's input, or, when it spanned reads, a buffer of its own that the socket filled in
 * place (see {@link HastFrameDecoder}); whoever consumes the frame releases it (style: the last one to
 * touch a buffer releases it). A frame without payload holds the shared empty buffer, whose
 * release is a no-op, so releasing every frame is always right.
 *
 * <p>The nv is a heap copy of the wire bytes, independent of the payload's lifetime.
 */
public final class HastFrame extends DefaultByteBufHolder {
    private final int version;
    private final NvMessage nv;

    /**
     * @param version the header's version byte, 0..{@link org.hast.proto.FrameHeader#MAX_VERSION}
     * @param nv      the decoded nv blob
     * @param payload the payload, or {@link Unpooled#EMPTY_BUFFER}; ownership passes to the frame
     */
    public HastFrame(int version, NvMessage nv, ByteBuf payload) {
        super(payload);
        if (nv == null) {
            throw new NullPointerException("nv");
        }
        this.version = version;
        this.nv = nv;
    }

    /** A frame without payload. */
    public HastFrame(int version, NvMessage nv) {
        this(version, nv, Unpooled.EMPTY_BUFFER);
    }

    /** The sender's protocol version from the frame header. */
    public int version() {
        return version;
    }

    public NvMessage nv() {
        return nv;
    }

    /** The payload bytes ({@code size} of them), empty when the nv announced none. */
    public ByteBuf payload() {
        return content();
    }

    @Override
    public HastFrame replace(ByteBuf content) {
        return new HastFrame(version, nv, content);
    }

    @Override
    public HastFrame copy() {
        return (HastFrame) super.copy();
    }

    @Override
    public HastFrame duplicate() {
        return (HastFrame) super.duplicate();
    }

    @Override
    public HastFrame retainedDuplicate() {
        return (HastFrame) super.retainedDuplicate();
    }

    @Override
    public HastFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public HastFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public HastFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public HastFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "HastFrame[version=" + version + ", nv=" + nv.size() + " fields, payload="
                + content().readableBytes() + " bytes]";
    }
}
