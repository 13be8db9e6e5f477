package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

/**
 * A frame whose header and nv are already bytes ({@link HastFrameEncoder#encodeHeader}), with
 * its payload: what the primary's sender builds per request, so the nv writer it used can be
 * cleared and reused at once instead of living until the event loop encodes it.
 *
 * <p>It holds one reference to each buffer and releases both when its own count reaches zero.
 * {@link HastFrameEncoder} writes the header then the payload in one pass of the event loop,
 * so nothing written to the channel by another thread can fall between them.
 */
public final class EncodedFrame extends AbstractReferenceCounted {
    private final ByteBuf header;
    private final ByteBuf payload;

    /**
     * @param header  version, nv size and nv (ownership passes to the frame)
     * @param payload the payload, whose size the nv announces (ownership passes to the frame)
     */
    public EncodedFrame(ByteBuf header, ByteBuf payload) {
        this.header = header;
        this.payload = payload;
    }

    ByteBuf header() {
        return header;
    }

    ByteBuf payload() {
        return payload;
    }

    @Override
    protected void deallocate() {
        header.release();
        payload.release();
    }

    @Override
    public EncodedFrame touch(Object hint) {
        header.touch(hint);
        payload.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "EncodedFrame[header=" + header.readableBytes() + " bytes, payload=" + payload.readableBytes()
                + " bytes]";
    }
}
