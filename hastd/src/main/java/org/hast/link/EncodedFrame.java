package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.Recycler;

/**
 * A frame whose header and nv are already bytes ({@link HastFrameEncoder#encodeHeader}), with
 * its payload: what the primary's sender builds per request, so the nv writer it used can be
 * cleared and reused at once instead of living until the event loop encodes it.
 *
 * <p>It holds one reference to each buffer and releases both when its own count reaches zero.
 * {@link HastFrameEncoder} writes the header then the payload in one pass of the event loop,
 * so nothing written to the channel by another thread can fall between them.
 *
 * <p>Frames are recycled (Netty's {@link Recycler}): one is made per request on both workers,
 * and with its reference count (an object of its own in Netty 4.2) it was two allocations per
 * request. Once released, a frame belongs to the pool: nobody may keep or read it.
 */
public final class EncodedFrame extends AbstractReferenceCounted {
    private static final Recycler<EncodedFrame> RECYCLER = new Recycler<>() {
        @Override
        protected EncodedFrame newObject(Handle<EncodedFrame> handle) {
            return new EncodedFrame(handle);
        }
    };

    private final Recycler.Handle<EncodedFrame> handle;
    private ByteBuf header;
    private ByteBuf payload;

    private EncodedFrame(Recycler.Handle<EncodedFrame> handle) {
        this.handle = handle;
    }

    /**
     * @param header  version, nv size and nv (ownership passes to the frame)
     * @param payload the payload, whose size the nv announces (ownership passes to the frame)
     */
    public static EncodedFrame of(ByteBuf header, ByteBuf payload) {
        EncodedFrame frame = RECYCLER.get();
        frame.setRefCnt(1);
        frame.header = header;
        frame.payload = payload;
        return frame;
    }

    ByteBuf header() {
        return header;
    }

    ByteBuf payload() {
        return payload;
    }

    @Override
    protected void deallocate() {
        ByteBuf h = header;
        ByteBuf p = payload;
        header = null;
        payload = null;
        try {
            h.release();
            p.release();
        } finally {
            handle.recycle(this);
        }
    }

    @Override
    public EncodedFrame touch(Object hint) {
        header.touch(hint);
        payload.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        if (header == null) {
            return "EncodedFrame[released]";
        }
        return "EncodedFrame[header=" + header.readableBytes() + " bytes, payload=" + payload.readableBytes()
                + " bytes]";
    }
}
