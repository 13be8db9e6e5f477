package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.hast.block.BlockBackend;
import org.hast.block.InflightBudget;
import org.hast.daemon.process.LoopErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Runs decoded {@link NbdRequest}s against the backend: checks flags and ranges, starts the
 * backend call, and writes the simple reply when it completes, in completion order (replies
 * may come out of order, doc/proto.md). Every field is touched on the channel's event loop
 * only: completions from backend threads are re-dispatched there.
 *
 * <p>Back-pressure: a request's bytes are admitted into the worker's {@link InflightBudget}
 * by {@link NbdRequestDecoder} and given back here when its reply is written (a WRITE, an
 * error) or has left the socket (a READ's data: unread replies count too). Besides, at most
 * {@link #MAX_IN_FLIGHT_REQUESTS} requests are in flight per connection, and nothing more is
 * read while the socket's outbound buffer is above its high-water mark (a client that does not
 * read its replies); beyond any of these, auto-read is off until completions drain.
 */
public final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NbdTransmissionHandler.class);

    public static final int MAX_IN_FLIGHT_REQUESTS = 128;
    /** How soon unsent READ replies are looked at again when the socket gives no sign. */
    private static final long SETTLE_AGAIN_MILLIS = 10;

    /** FUA means "persistent once replied" and is valid on every command (doc/proto.md). */
    private static final int FLAGS_ANY = CMD_FLAG_FUA;
    private static final int FLAGS_WRITE_ZEROES = CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO;

    private final BlockBackend backend;
    private final long size;
    private final InflightBudget budget;
    private final NbdRequestDecoder decoder;
    private ChannelHandlerContext ctx;
    private int inFlight;
    /** Budget bytes (main lane, fast lane) of READ replies handed to the socket and perhaps not sent yet. */
    private long replyBytes;
    private long replySmallBytes;
    private boolean settleScheduled;
    private boolean disconnecting;
    private boolean flushScheduled;
    /** Tasks made once, so batching flushes and settling replies allocate nothing per reply. */
    private final Runnable flushTask = this::flushNow;
    private final Runnable settleTask = () -> {
        settleScheduled = false;
        settleReplies();
    };

    NbdTransmissionHandler(NbdExport export) {
        this.backend = export.backend();
        this.size = backend.size();
        this.budget = export.budget();
        this.decoder = new NbdRequestDecoder(budget, this::updateReadInterest);
    }

    /** The decoder that goes in front of this handler, sharing its read interest. */
    NbdRequestDecoder decoder() {
        return decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof NbdRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        NbdRequest request = (NbdRequest) msg;
        if (disconnecting) {
            request.releaseBuffer();
            request.releaseBudget(budget);
            decoder.recycle(request);
            return;
        }
        if (request.type == CMD_DISC) {
            LOG.debug("NBD client {} sent DISC with {} request(s) in flight.", NbdTransmission.peer(ctx.channel()),
                    inFlight);
            disconnecting = true;
            ctx.channel().config().setAutoRead(false);
            closeIfDrained();
            return;
        }
        int errno = check(request);
        if (errno != 0 || (request.length == 0 && request.type != CMD_FLUSH)) {
            // Refused, or zero-length (implementation-defined; nothing to do): answer at once.
            request.releaseBuffer();
            request.releaseBudget(budget);
            writeReply(request.cookie, errno);
            decoder.recycle(request);
            return;
        }
        start(request);
    }

    /** The errno a request is refused with before reaching the backend, or 0. */
    private int check(NbdRequest r) {
        int allowed;
        switch (r.type) {
            case CMD_READ:
            case CMD_WRITE:
            case CMD_FLUSH:
            case CMD_TRIM:
                allowed = FLAGS_ANY;
                break;
            case CMD_WRITE_ZEROES:
                allowed = FLAGS_WRITE_ZEROES;
                break;
            default:
                // CACHE, BLOCK_STATUS (needs structured replies) and unknown commands carry no
                // payload, so answering EINVAL keeps the stream in step.
                return EINVAL;
        }
        if ((r.flags & ~allowed) != 0) {
            return EINVAL;
        }
        if (r.type == CMD_FLUSH) {
            return 0; // offset and length are reserved: ignored
        }
        if (r.type == CMD_READ && r.length > MAX_PAYLOAD_BYTES) {
            return EINVAL;
        }
        boolean beyondEnd = Long.compareUnsigned(r.offset, size) > 0 || r.length > size - r.offset;
        if (beyondEnd) {
            // doc/proto.md: writes beyond the end SHOULD get ENOSPC; anything else EINVAL.
            return r.type == CMD_WRITE || r.type == CMD_WRITE_ZEROES ? ENOSPC : EINVAL;
        }
        int sector = backend.sectorSize();
        if (sector > 1 && ((r.offset | r.length) & (sector - 1)) != 0) {
            // Below the advertised minimum block size: the replication protocol carries whole
            // sectors only, so the client (qemu, the kernel) must read-modify-write itself.
            return EINVAL;
        }
        if (r.type == CMD_WRITE_ZEROES && r.hasFlag(CMD_FLAG_FAST_ZERO) && r.hasFlag(CMD_FLAG_NO_HOLE)) {
            // Zeroes without punching means writing them: not faster than a WRITE, so fail fast.
            return ENOTSUP;
        }
        return 0;
    }

    private void start(NbdRequest r) {
        r.owner = this;
        if (r.type == CMD_READ) {
            // The reply header goes in front of the data in the same buffer: one write, no copy.
            ByteBuf buf = ctx.alloc().directBuffer(SIMPLE_REPLY_BYTES + (int) r.length);
            buf.writerIndex(SIMPLE_REPLY_BYTES);
            r.buffer = buf;
        }
        r.flushAfter = r.hasFlag(CMD_FLAG_FUA) && (r.type == CMD_TRIM || r.type == CMD_WRITE_ZEROES);
        inFlight++;
        updateReadInterest();
        try {
            switch (r.type) {
                case CMD_READ:
                    backend.read(r.offset, (int) r.length, r.buffer, r);
                    break;
                case CMD_WRITE:
                    backend.write(r.offset, r.buffer, r.hasFlag(CMD_FLAG_FUA), r);
                    break;
                case CMD_FLUSH:
                    backend.flush(r);
                    break;
                case CMD_TRIM:
                    backend.trim(r.offset, r.length, r);
                    break;
                case CMD_WRITE_ZEROES:
                    backend.writeZeroes(r.offset, r.length, !r.hasFlag(CMD_FLAG_NO_HOLE), r);
                    break;
                default:
                    throw new IllegalStateException("unchecked command " + r.type);
            }
        } catch (RuntimeException e) {
            LOG.error("NBD backend failed to start {}: {}", r, e.toString(), e);
            if (r.completions == 0) {
                complete(r, EIO);
            }
        }
    }

    /** From {@link NbdRequest#done}: hop onto the event loop unless already there. */
    void completeFromAnyThread(NbdRequest r) {
        if (ctx.executor().inEventLoop()) {
            complete(r, r.errno);
            return;
        }
        try {
            ctx.executor().execute(r);
        } catch (RejectedExecutionException e) {
            // The event loop is gone (server closed): nobody to reply to, just free the bytes.
            r.releaseBuffer();
            r.releaseBudget(budget);
        }
    }

    /** A backend stage finished; runs on the event loop. */
    void complete(NbdRequest r, int errno) {
        if (++r.completions > 1) {
            LOG.error("NBD backend completed {} more than once (errno {}); ignored.", r, errno);
            return;
        }
        if (errno == 0 && r.flushAfter && r.stage == 0) {
            r.stage = 1;
            r.completions = 0;
            try {
                backend.flush(r);
                return;
            } catch (RuntimeException e) {
                LOG.error("NBD backend failed to start the FUA flush of {}: {}", r, e.toString(), e);
                r.completions = 1;
                errno = EIO;
            }
        }
        inFlight--;
        if (r.type == CMD_READ && errno == 0 && ctx.channel().isActive()) {
            // Held until the data has left: a client that does not read keeps paying for it.
            if (r.smallLane) {
                replySmallBytes += r.budgetBytes;
            } else {
                replyBytes += r.budgetBytes;
            }
            r.budgetBytes = 0;
        } else {
            r.releaseBudget(budget);
        }
        if (r.type == CMD_READ && errno == 0) {
            ByteBuf buf = r.buffer;
            r.buffer = null;
            if (buf.readableBytes() != SIMPLE_REPLY_BYTES + r.length) {
                LOG.error("NBD backend read {} bytes for {}; answering EIO.", buf.readableBytes()
                        - SIMPLE_REPLY_BYTES, r);
                buf.release();
                writeReply(r.cookie, EIO);
            } else {
                buf.setInt(0, SIMPLE_REPLY_MAGIC);
                buf.setInt(4, 0);
                buf.setLong(8, r.cookie);
                write(buf);
            }
        } else {
            r.releaseBuffer();
            writeReply(r.cookie, wireErrno(errno));
        }
        decoder.recycle(r); // answered and holding nothing: the next header is decoded into it
        if (!closeIfDrained()) {
            updateReadInterest();
        }
    }

    private void writeReply(long cookie, int errno) {
        ByteBuf reply = ctx.alloc().directBuffer(SIMPLE_REPLY_BYTES);
        reply.writeInt(SIMPLE_REPLY_MAGIC).writeInt(errno).writeLong(cookie);
        write(reply);
    }

    /**
     * Writes now and flushes from a task queued behind the completions already waiting on the
     * event loop, so a burst of completions leaves in one flush.
     */
    private void write(ByteBuf reply) {
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(reply);
            return;
        }
        ctx.write(reply, ctx.voidPromise());
        if (!flushScheduled) {
            flushScheduled = true;
            try {
                ctx.executor().execute(flushTask);
            } catch (RejectedExecutionException e) {
                flushNow(); // the loop is shutting down: no batching, but no reply held back
            }
        }
    }

    private void flushNow() {
        flushScheduled = false;
        ctx.flush();
        settleReplies();
    }

    /**
     * Gives back the budget of READ replies that have left: whatever the outbound buffer no
     * longer holds. Usually all of it right after a flush; otherwise the writability change or a
     * later look (the socket drains without telling us when it stays under the water mark)
     * settles the rest.
     */
    private void settleReplies() {
        long held = replyBytes + replySmallBytes;
        if (held == 0) {
            return;
        }
        ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        long pending = outbound == null ? 0 : outbound.totalPendingWriteBytes();
        long keep = Math.min(held, pending);
        // Which lane's bytes left first is not tracked: the fast lane is given back first, and
        // both are whole again once nothing is pending.
        long sentSmall = Math.min(replySmallBytes, held - keep);
        long sent = held - keep - sentSmall;
        replySmallBytes -= sentSmall;
        replyBytes -= sent;
        if (sentSmall > 0) {
            budget.releaseSmall(sentSmall);
        }
        if (sent > 0) {
            budget.release(sent);
        }
        if (keep > 0 && !settleScheduled) {
            settleScheduled = true;
            try {
                ctx.executor().schedule(settleTask, SETTLE_AGAIN_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                handlerRemoved(ctx); // the loop is going, and the unsent replies with it
            }
        }
    }

    private boolean closeIfDrained() {
        if (disconnecting && inFlight == 0) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return true;
        }
        return false;
    }

    /** Reads on unless the budget, the request count or unread replies say stop. */
    void updateReadInterest() {
        if (disconnecting) {
            return;
        }
        boolean room = inFlight < MAX_IN_FLIGHT_REQUESTS && !decoder.waitingForBudget()
                && ctx.channel().isWritable();
        if (room != ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(room);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        settleReplies();
        updateReadInterest();
        ctx.fireChannelWritabilityChanged();
    }

    /** The connection is gone and its unsent replies with it. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        budget.releaseSmall(replySmallBytes);
        budget.release(replyBytes);
        replySmallBytes = 0;
        replyBytes = 0;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        if (cause instanceof IOException) {
            LOG.debug("NBD client {}: {}", NbdTransmission.peer(ctx.channel()), cause.toString());
        } else {
            LOG.warn("NBD client {}: {}; closing the connection.", NbdTransmission.peer(ctx.channel()),
                    cause.toString());
        }
        ctx.close();
    }

    /** Requests started and not yet replied to (for tests). */
    int inFlight() {
        return inFlight;
    }
}
