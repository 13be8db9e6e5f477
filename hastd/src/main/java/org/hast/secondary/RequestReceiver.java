package org.hast.secondary;

import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.proto.RequestCheck;
import org.hast.proto.RequestHeader;
import org.hast.role.WorkerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The secondary's receive side (spec §4.4, §11.7), on the event loop: validates each request,
 * answers memsync writes with their early {@code received} reply, and queues everything else
 * for the disk thread, never waiting for it. A rejected WRITE's payload was already read by the
 * frame decoder, so the stream stays in step (the reference's defect of §4.4 (b) does not arise).
 */
final class RequestReceiver extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestReceiver.class);
    private final DiskQueue disk;
    private final WorkerStats stats;
    private final Channel out;
    private final int frameVersion;
    private final long dataSize;
    private final int sectorSize;
    private final int maxRequestBytes;
    private final Runnable onDisconnect;
    /** The request objects, taken here and given back once applied. */
    private final RequestPool requests = new RequestPool();
    /** The early replies' fields, encoded at once, so one writer serves them all (loop only). */
    private final NvWriter receivedNv = new NvWriter(32);
    /** Early replies written since the last flush: they leave together at the end of the read. */
    private boolean unflushed;

    RequestReceiver(DiskQueue disk, WorkerStats stats, Channel out, int frameVersion, long dataSize,
                    int sectorSize, int maxRequestBytes, Runnable onDisconnect) {
        this.disk = disk;
        this.stats = stats;
        this.out = out;
        this.frameVersion = frameVersion;
        this.dataSize = dataSize;
        this.sectorSize = sectorSize;
        this.maxRequestBytes = maxRequestBytes;
        this.onDisconnect = onDisconnect;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Each request is read at once in channelRead (its payload retained on its own): the
        // decoder may rebind one frame object instead of making one per request.
        HastFrameDecoder decoder = ctx.pipeline().get(HastFrameDecoder.class);
        if (decoder != null) {
            decoder.reuseFrames();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        HastFrame frame = (HastFrame) message;
        try {
            // The header's fields read one by one from the (reused) frame: no header object.
            NvMessage nv = frame.nv();
            int cmdCode = RequestHeader.cmdCodeIn(nv);
            HioCommand cmd = HioCommand.fromCode(cmdCode);
            if (cmd == HioCommand.KEEPALIVE) {
                return;
            }
            count(cmd);
            long seq = nv.getUint64(RequestHeader.FIELD_SEQ);
            long offset = nv.getUint64(RequestHeader.FIELD_OFFSET);
            long length = nv.getUint64(RequestHeader.FIELD_LENGTH);
            RequestCheck check = RequestHeader.validate(cmdCode, seq, offset, length,
                    RequestHeader.hasUint64(nv, RequestHeader.FIELD_OFFSET),
                    RequestHeader.hasUint64(nv, RequestHeader.FIELD_LENGTH), dataSize, sectorSize, maxRequestBytes);
            SecondaryRequest request;
            if (!check.ok()) {
                LOG.error("{}", check.message());
                request = requests.take().set(cmd, seq, offset, length, null, null, check.error());
            } else if (cmd == HioCommand.WRITE) {
                if (RequestHeader.memsyncIn(nv, cmdCode)) {
                    // Received, not yet written: the primary may acknowledge its caller now (§4.6),
                    // with the other early replies of this read in one system call.
                    // Encoded now into a pooled buffer: no frame, writer or header object per reply.
                    out.write(HastFrameEncoder.encodeHeader(out.alloc(), frameVersion,
                            ReplyHeader.writeReceived(receivedNv.clear(), seq)), out.voidPromise());
                    unflushed = true;
                }
                // A plain payload (neither compressed nor checksummed) needs no fields object.
                PayloadFields fields = PayloadFields.encoded(nv) ? PayloadFields.fromNv(nv) : null;
                request = requests.take().set(cmd, seq, offset, length, fields, frame.payload().retain(), 0);
            } else {
                request = requests.take().set(cmd, seq, offset, length, null, null, 0);
            }
            disk.add(request);
        } finally {
            // The queued request holds its own reference to the payload.
            frame.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (unflushed) {
            unflushed = false;
            out.flush();
        }
        ctx.fireChannelReadComplete();
    }

    private void count(HioCommand cmd) {
        switch (cmd) {
            case READ -> stats.read.increment();
            case WRITE -> stats.write.increment();
            case DELETE -> stats.delete.increment();
            case FLUSH -> stats.flush.increment();
            default -> { }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        LOG.warn("Connection with the primary closed.");
        onDisconnect.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        LOG.error("Unable to receive request header: {}.", cause.getMessage() == null
                ? cause.getClass().getSimpleName() : cause.getMessage());
        ctx.close();
    }
}
