package org.hast.primary;

import java.nio.ByteBuffer;

import org.hast.codec.CodecException;
import org.hast.codec.PayloadCodec;
import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.nv.NvMessage;
import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.ProtocolException;
import org.hast.proto.ReplyHeader;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Replies from the secondary on the {@code in} connection (spec §11.4 {@code remote_recv}):
 * matched by {@code seq}; a READ's payload is decoded straight into the request's buffer; a
 * memsync {@code received} reply is the first of two. A reply that cannot be understood ends
 * the connection (and with it every request in flight), never the worker.
 */
final class ReplyReceiver extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyReceiver.class);
    private static final int EIO = 5;

    private final RemoteIo remote;
    /** Used on this channel's event loop only. */
    private final PayloadCodec codec = new PayloadCodec();

    ReplyReceiver(RemoteIo remote) {
        this.remote = remote;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (!(message instanceof HastFrame frame)) {
            ctx.fireChannelRead(message);
            return;
        }
        try {
            handle(ctx, frame);
        } catch (ProtocolException e) {
            LOG.error("Unable to receive reply header: {}", e.getMessage());
            ctx.close();
        } finally {
            frame.release();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Every frame from here on is a reply read at once in channelRead: the decoder may
        // rebind one frame object instead of making one per reply.
        HastFrameDecoder decoder = ctx.pipeline().get(HastFrameDecoder.class);
        if (decoder != null) {
            decoder.reuseFrames();
        }
    }

    private void handle(ChannelHandlerContext ctx, HastFrame frame) throws ProtocolException {
        // the fields read one by one: no header object per reply
        NvMessage nv = frame.nv();
        long seq = ReplyHeader.seqOf(nv);
        if (ReplyHeader.receivedIn(nv)) {
            if (!remote.receivedFirst(seq)) {
                LOG.debug("Memsync acknowledgement for request {} ignored: no memsync request in flight under it.",
                        Long.toUnsignedString(seq));
            }
            return;
        }
        Hio hio = remote.claim(seq);
        if (hio == null) {
            LOG.warn("Reply for unknown request {} ignored.", Long.toUnsignedString(seq));
            return;
        }
        int error = ReplyHeader.errorIn(nv);
        if (error == 0 && (hio.cmd == HioCommand.READ || hio.cmd == HioCommand.HASH)) {
            error = hio.cmd == HioCommand.READ ? readPayload(frame, hio) : readDigests(frame, hio);
            if (error != 0) {
                hio.remoteError = error;
                remote.completed(hio);
                ctx.close();
                return;
            }
        }
        hio.remoteError = error;
        remote.completed(hio);
    }

    /** A HASH reply's digests, exactly as many as the range has blocks. */
    private static int readDigests(HastFrame frame, Hio hio) {
        if (frame.payload() == null || frame.payload().readableBytes() != hio.data.writableBytes()) {
            LOG.error("Remote HASH reply has {} bytes, {} expected.",
                    frame.payload() == null ? 0 : frame.payload().readableBytes(), hio.data.writableBytes());
            return EIO;
        }
        hio.data.writeBytes(frame.payload(), frame.payload().readerIndex(), hio.data.writableBytes());
        return 0;
    }

    /** Decodes a READ reply's payload into the request's buffer; EIO when it does not fit. */
    private int readPayload(HastFrame frame, Hio hio) {
        ByteBuffer target = hio.data.nioBuffer(hio.data.writerIndex(), hio.length);
        try {
            PayloadFields fields = PayloadFields.fromNv(frame.nv());
            ByteBuffer decoded = codec.decode(fields.compression(), fields.checksum(), fields.hash(),
                    frame.payload().nioBuffer(), target.duplicate());
            if (decoded.remaining() != hio.length) {
                LOG.error("Remote READ reply has {} bytes, {} expected.", decoded.remaining(), hio.length);
                return EIO;
            }
            if (fields.compression() == null) {
                // Uncompressed: decode returned the received bytes; compressed ones were
                // decoded into the target already.
                target.put(decoded);
            }
            return 0;
        } catch (CodecException e) {
            LOG.error("Unable to receive reply data: {}", e.getMessage());
            return EIO;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        LOG.warn("Replication connection failed: {}.", IoErrors.describe(cause));
        ctx.close();
    }
}
