package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;

import org.hast.nv.NvMessage;

/**
 * One received HAST message (spec §4.1): the header's version byte, the decoded nv, and the
 * payload announced by its {@code size} field. The payload is a retained slice of the
 * decoder's input, or, when it spanned reads, a buffer of its own that the socket filled in
 * place (see {@link HastFrameDecoder}); whoever consumes the frame releases it (style: the last one to
 * touch a buffer releases it). A frame without payload holds the shared empty buffer, whose
 * release is a no-op, so releasing every frame is always right.
 *
 * <p>Two lifetimes:
 * <ul>
 *   <li>A <b>kept</b> frame (the handshake's, which {@code FrameInbox} holds): its nv is a heap
 *       copy of the wire bytes, independent of the payload's lifetime; reference counting is
 *       the payload's, as for any {@link ByteBufHolder}.</li>
 *   <li>A <b>reused</b> frame (the data path's, once {@link HastFrameDecoder#reuseFrames} is on):
 *       the decoder's one frame object and nv view, rebound to each received message. It is
 *       valid until its single {@link #release()}: the consumer reads what it needs on the event
 *       loop (it may {@code retain} the {@link #payload()} buffer itself and keep that) and then
 *       releases the frame. {@link #retain} is refused, and any read after the release, of the
 *       frame or of its {@link #nv()} (or a second release), throws: a consumer that keeps a
 *       reused frame fails loudly instead of reading the next message.</li>
 * </ul>
 */
public final class HastFrame implements ByteBufHolder {
    private int version;
    private NvMessage nv;
    private ByteBuf payload;
    /** Whether this is a decoder's reused frame. */
    private final boolean reused;
    /** A reused frame: whether it holds a message not yet released. */
    private volatile boolean live;

    /**
     * @param version the header's version byte, 0..{@link org.hast.proto.FrameHeader#MAX_VERSION}
     * @param nv      the decoded nv blob
     * @param payload the payload, or {@link Unpooled#EMPTY_BUFFER}; ownership passes to the frame
     */
    public HastFrame(int version, NvMessage nv, ByteBuf payload) {
        if (nv == null) {
            throw new NullPointerException("nv");
        }
        if (payload == null) {
            throw new NullPointerException("payload");
        }
        this.version = version;
        this.nv = nv;
        this.payload = payload;
        this.reused = false;
        this.live = true;
    }

    /** A frame without payload. */
    public HastFrame(int version, NvMessage nv) {
        this(version, nv, Unpooled.EMPTY_BUFFER);
    }

    /** A decoder's reused frame over its reused nv view; released until first {@link #rebind}. */
    HastFrame(NvMessage reusedNv) {
        if (!reusedNv.isReused()) {
            throw new IllegalArgumentException("a reused frame needs a reusable nv view");
        }
        this.nv = reusedNv;
        this.payload = Unpooled.EMPTY_BUFFER;
        this.reused = true;
    }

    /** Whether the decoder may rebind this reused frame: its last message was released. */
    boolean free() {
        return reused && !live;
    }

    /** A reused frame's nv view, for the decoder to decode into while the frame is free. */
    NvMessage nvView() {
        return nv;
    }

    /** Points this reused, free frame at the next message; its nv view was decoded already. */
    HastFrame rebind(int version, ByteBuf payload) {
        if (!free()) {
            throw new IllegalStateException("reused frame rebound while in use");
        }
        this.version = version;
        this.payload = payload;
        this.live = true;
        return this;
    }

    /** Whether this is a decoder's reused frame (see the class comment). */
    public boolean reused() {
        return reused;
    }

    /** The sender's protocol version from the frame header. */
    public int version() {
        requireLive();
        return version;
    }

    public NvMessage nv() {
        requireLive();
        return nv;
    }

    /** The payload bytes ({@code size} of them), empty when the nv announced none. */
    public ByteBuf payload() {
        return content();
    }

    @Override
    public ByteBuf content() {
        requireLive();
        return payload;
    }

    private void requireLive() {
        if (!live) {
            throw new IllegalReferenceCountException("reused frame read after its release");
        }
    }

    @Override
    public HastFrame replace(ByteBuf content) {
        // a new kept frame: a reused nv cannot outlive this one, so it is copied out
        return new HastFrame(version(), reused ? NvMessage.copyOf(nv) : nv, content);
    }

    @Override
    public HastFrame copy() {
        return replace(content().copy());
    }

    @Override
    public HastFrame duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public HastFrame retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public int refCnt() {
        if (reused) {
            return live ? 1 : 0;
        }
        return payload.refCnt();
    }

    @Override
    public HastFrame retain() {
        return retain(1);
    }

    @Override
    public HastFrame retain(int increment) {
        if (reused) {
            throw new UnsupportedOperationException("a reused frame cannot be retained: retain its payload,"
                    + " copy its nv fields, or take a kept copy()");
        }
        payload.retain(increment);
        return this;
    }

    @Override
    public HastFrame touch() {
        content().touch();
        return this;
    }

    @Override
    public HastFrame touch(Object hint) {
        content().touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        if (!reused) {
            return payload.release();
        }
        requireLive();
        ByteBuf held = payload;
        payload = Unpooled.EMPTY_BUFFER;
        nv.invalidate();
        live = false;
        held.release();
        return true;
    }

    @Override
    public boolean release(int decrement) {
        if (!reused) {
            return payload.release(decrement);
        }
        if (decrement != 1) {
            throw new IllegalReferenceCountException(1, -decrement);
        }
        return release();
    }

    @Override
    public String toString() {
        if (!live) {
            return "HastFrame[released]";
        }
        return "HastFrame[version=" + version + ", nv=" + nv.size() + " fields, payload="
                + payload.readableBytes() + " bytes]";
    }
}
