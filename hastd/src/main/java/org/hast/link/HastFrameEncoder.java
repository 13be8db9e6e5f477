package org.hast.link;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;

/**
 * Writes an {@link OutgoingFrame} as header + nv in one small buffer, then the payload as a
 * separate write of the caller's own buffer: the payload (up to MAXPHYS) is never copied.
 * Both writes complete the one promise of the original write. Stateless, so one instance can
 * serve every channel.
 */
@ChannelHandler.Sharable
public final class HastFrameEncoder extends MessageToMessageEncoder<OutgoingFrame> {
    public static final HastFrameEncoder INSTANCE = new HastFrameEncoder();

    public HastFrameEncoder() {
        super(OutgoingFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutgoingFrame msg, List<Object> out) {
        out.add(encodeHeader(ctx.alloc(), msg.version(), msg.nv()));
        ByteBuf payload = msg.payload();
        if (payload.isReadable()) {
            // the superclass releases msg after encode; the channel now owns this reference
            out.add(payload.retain());
        }
    }

    /**
     * The five header bytes and the nv blob in one buffer from {@code alloc}, sized exactly.
     * Usable without a pipeline (e.g. by a blocking sender).
     */
    public static ByteBuf encodeHeader(ByteBufAllocator alloc, int version, NvWriter nv) {
        if (version < 0 || version > FrameHeader.MAX_VERSION) {
            throw new IllegalArgumentException("frame version " + version + " is not 0.."
                    + FrameHeader.MAX_VERSION);
        }
        int nvSize = nv.encodedSize();
        ByteBuf buf = alloc.buffer(FrameHeader.HEADER_SIZE + nvSize);
        try {
            buf.writeByte(version);
            buf.writeIntLE(nvSize);
            nv.writeTo(buf::writeBytes);
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }
}
