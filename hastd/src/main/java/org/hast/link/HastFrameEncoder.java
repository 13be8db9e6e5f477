package org.hast.link;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.util.concurrent.FastThreadLocal;

import org.hast.nv.NvWriter;
import org.hast.proto.FrameHeader;

/**
 * Writes an {@link OutgoingFrame} as header + nv in one small buffer, then the payload as a
 * separate write of the caller's own buffer: the payload (up to MAXPHYS) is never copied.
 * An {@link EncodedFrame} arrives with its header already encoded and goes out the same way.
 * Both writes complete the one promise of the original write. Stateless, so one instance can
 * serve every channel.
 */
@ChannelHandler.Sharable
public final class HastFrameEncoder extends MessageToMessageEncoder<Object> {
    public static final HastFrameEncoder INSTANCE = new HastFrameEncoder();

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof OutgoingFrame || msg instanceof EncodedFrame;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        // The superclass releases msg after encode; the channel owns the references taken here.
        if (msg instanceof EncodedFrame frame) {
            out.add(frame.header().retain());
            addPayload(frame.payload(), out);
            return;
        }
        OutgoingFrame frame = (OutgoingFrame) msg;
        out.add(encodeHeader(ctx.alloc(), frame.version(), frame.nv()));
        addPayload(frame.payload(), out);
    }

    private static void addPayload(ByteBuf payload, List<Object> out) {
        if (payload.isReadable()) {
            out.add(payload.retain());
        }
    }

    /** Each thread's sink for {@link #encodeHeader}: a method reference would be one object per frame. */
    private static final FastThreadLocal<BlobCopy> BLOB_COPY = new FastThreadLocal<>() {
        @Override
        protected BlobCopy initialValue() {
            return new BlobCopy();
        }
    };

    /** Writes the blob into {@link #target}. */
    private static final class BlobCopy implements NvWriter.BlobSink {
        ByteBuf target;

        @Override
        public void write(byte[] bytes, int offset, int length) {
            target.writeBytes(bytes, offset, length);
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
            BlobCopy copy = BLOB_COPY.get();
            copy.target = buf;
            nv.writeTo(copy);
            copy.target = null;
            return buf;
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }
}
