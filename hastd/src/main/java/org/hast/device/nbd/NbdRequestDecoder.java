package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.hast.block.InflightBudget;
import org.hast.buffers.PayloadReadAllocator;
import org.hast.buffers.ReadTargetLender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

/**
 * Frames transmission requests:
 * <pre>
 *  0      4        6       8          16          24        28
 *  +------+--------+-------+----------+-----------+---------+---------------------+
 *  |magic | flags  | type  | cookie   | offset    | length  | payload (WRITE only)|
 *  +------+--------+-------+----------+-----------+---------+---------------------+
 * </pre>
 * and admits each into the worker's {@link InflightBudget} before its payload is read: a WRITE
 * costs its payload, a READ the data it will bring back. When the budget has no room the
 * header waits, the channel stops reading, and decoding resumes (on the event loop) once the
 * bytes are granted; so a client can make the worker hold no more than what the budget lets
 * it, however much it sends.
 *
 * <p>A payload already received whole is a retained slice of the read buffer (no copy); one
 * that spans reads is gathered into a buffer of exactly its size, whose missing part (when
 * large) is lent to the channel's next socket reads ({@link PayloadReadAllocator}), so the
 * kernel writes it in place instead of into a read buffer copied from (issue #15: a 1 MiB
 * WRITE was copied once more in the worker). Two things cannot be
 * answered with an errno because the stream can no longer be trusted: a bad magic, and a WRITE
 * longer than {@link NbdProtocol#MAX_PAYLOAD_BYTES}; both close the connection. After a DISC
 * (the client must not send more) or such an error, input is dropped.
 */
final class NbdRequestDecoder extends ChannelInboundHandlerAdapter implements InflightBudget.Waiter, ReadTargetLender {
    private static final Logger LOG = LoggerFactory.getLogger(NbdRequestDecoder.class);

    /** More idle requests than a client keeps in flight are not worth keeping. */
    private static final int MAX_IDLE = 512;
    /** Below this, a read of the next requests too is worth more than one in place. */
    static final int MIN_LENT_READ = 32 * 1024;
    /**
     * {@code -Dhast.nbd.readsInPlace=false} copies every spanning payload from the read buffers
     * again, for A/B runs (bench/README.md).
     */
    static final boolean READS_IN_PLACE = Boolean.parseBoolean(System.getProperty("hast.nbd.readsInPlace", "true"));

    private final InflightBudget budget;
    /** Tells the transmission handler that {@link #waitingForBudget()} may have changed. */
    private final Runnable readInterestChanged;
    private ChannelHandlerContext ctx;
    /** A header split across reads, gathered here (28 bytes, allocated once). */
    private ByteBuf header;
    /** Input not yet decoded while a request waits for the budget. */
    private ByteBuf leftover;
    /** The request whose bytes the budget has not granted yet. */
    private NbdRequest admitting;
    /** The WRITE whose payload is being gathered, and how much of it is still to come. */
    private NbdRequest filling;
    private int fillRemaining;
    /** {@link #filling}'s buffer when lent (retained) to the socket read under way, or null. */
    private ByteBuf lent;
    /** Its writer index when it was lent: the read writes from there. */
    private int lentFrom;
    /** Payload bytes the socket wrote straight into their request's buffer so far. */
    private long bytesReadInPlace;
    private boolean discarding;
    private boolean removed;
    /**
     * Answered requests, decoded into again (on the event loop only): oldest first, so one is
     * reused as late as possible. Bounded by what the client had in flight at once.
     */
    private final ArrayDeque<NbdRequest> idle = new ArrayDeque<>();
    /** Gathered WRITE payloads' buffers, kept for the next WRITEs of their size. */
    private final WritePayloads payloads;
    /** Frees them once the connection is idle for a second; started with the first one. */
    private ScheduledFuture<?> payloadTrim;
    /** Runs on the event loop once the budget granted {@link #admitting}'s bytes. */
    private final Runnable resume = this::resume;

    NbdRequestDecoder(InflightBudget budget, Runnable readInterestChanged) {
        this.budget = budget;
        this.readInterestChanged = readInterestChanged;
        this.payloads = new WritePayloads(budget);
    }

    /** Bytes of gathered WRITE buffers kept for the next WRITEs (tests). */
    long keptPayloadBytes() {
        return payloads.keptBytes();
    }

    /** Payload bytes the socket wrote straight into their request's buffer so far (tests). */
    long bytesReadInPlace() {
        return bytesReadInPlace;
    }

    /** A request is waiting for the budget: the channel must not read. */
    boolean waitingForBudget() {
        return admitting != null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        header = ctx.alloc().heapBuffer(REQUEST_HEADER_BYTES, REQUEST_HEADER_BYTES);
    }

    /**
     * Lends the channel's socket reads to the decoder in its pipeline, when there is one. Set
     * when the channel is initialised: a channel keeps the read handle it made at its first read
     * (the handshake's), so an allocator set when the decoder comes in would never be used.
     */
    static void lendReadsOf(Channel channel) {
        if (!READS_IN_PLACE) {
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        ChannelConfig config = channel.config();
        config.setRecvByteBufAllocator(new PayloadReadAllocator(config.getRecvByteBufAllocator(), () -> {
            NbdRequestDecoder decoder = pipeline.get(NbdRequestDecoder.class);
            return decoder == null ? null : decoder.lendReadTarget();
        }, null));
    }

    /**
     * The missing part of the WRITE payload being gathered, for the channel's next socket read;
     * null when there is none, it is small, or TLS in front of this decoder transforms the bytes.
     */
    @Override
    public ByteBuf lendReadTarget() {
        if (filling == null || fillRemaining < MIN_LENT_READ || discarding || removed
                || !filling.buffer.hasMemoryAddress() || ctx.pipeline().get(SslHandler.class) != null) {
            return null;
        }
        // The buffer itself, not a slice of its missing part (an object per read): the socket
        // reads from its writer index up to its capacity, so that must be the payload's end,
        // or the next request's bytes would land in this one.
        ByteBuf payload = filling.buffer;
        if (payload.capacity() - payload.writerIndex() != fillRemaining) {
            return null;
        }
        lentFrom = payload.writerIndex();
        lent = payload.retain();
        return lent;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        if (discarding || removed) {
            in.release();
            return;
        }
        if (in == lent) {
            // The socket wrote these bytes into the payload itself, and moved its writer index.
            lent = null;
            int n = in.writerIndex() - lentFrom;
            in.release();
            bytesReadInPlace += n;
            filled(n);
            return;
        }
        if (admitting != null) {
            // Read before the channel stopped: keep it behind what already waits (rare).
            leftover = leftover == null ? in : Unpooled.wrappedBuffer(leftover, in);
            return;
        }
        decode(in);
    }

    /** Decodes {@code in} until it is used up or a request waits; owns {@code in}. */
    private void decode(ByteBuf in) {
        try {
            while (in.isReadable() && !discarding && !removed) {
                if (filling != null) {
                    gather(in);
                    continue;
                }
                NbdRequest request = nextHeader(in);
                if (request == null) {
                    break;
                }
                // Set first: the budget may ask for the waiter's size as soon as it is queued.
                admitting = request;
                request.smallLane = request.budgetBytes > 0 && budget.tryAcquireSmall(request.budgetBytes);
                if (request.budgetBytes > 0 && !request.smallLane
                        && !budget.tryAcquire(request.budgetBytes, this)) {
                    if (in.isReadable()) {
                        leftover = in;
                        in = null;
                    }
                    ctx.channel().config().setAutoRead(false);
                    return;
                }
                admitting = null;
                admit(request, in);
            }
        } finally {
            if (in != null) {
                in.release();
            }
        }
    }

    /** The next request's header from {@code in} (gathering a split one), or null: more needed. */
    private NbdRequest nextHeader(ByteBuf in) {
        ByteBuf from = in;
        if (header.isReadable() || in.readableBytes() < REQUEST_HEADER_BYTES) {
            header.writeBytes(in, Math.min(in.readableBytes(), header.writableBytes()));
            if (header.isWritable()) {
                return null;
            }
            from = header;
        }
        int magic = from.readInt();
        if (magic != REQUEST_MAGIC) {
            fail("bad request magic 0x" + Integer.toHexString(magic));
            return null;
        }
        int flags = from.readUnsignedShort();
        int type = from.readUnsignedShort();
        long cookie = from.readLong();
        long offset = from.readLong();
        long length = from.readUnsignedInt();
        header.clear();
        if (type == CMD_WRITE && length > MAX_PAYLOAD_BYTES) {
            fail("WRITE of " + length + " bytes (at most " + MAX_PAYLOAD_BYTES + ")");
            return null;
        }
        NbdRequest request = idle.poll();
        if (request == null) {
            request = new NbdRequest(flags, type, cookie, offset, length, null);
        } else {
            request.reset(flags, type, cookie, offset, length);
        }
        // What the request will hold in memory; a READ too long is refused without allocating.
        request.budgetBytes = type == CMD_WRITE || (type == CMD_READ && length <= MAX_PAYLOAD_BYTES) ? length : 0;
        return request;
    }

    /** The request holds its bytes: take its payload (now or as it comes) and pass it on. */
    private void admit(NbdRequest request, ByteBuf in) {
        if (request.type != CMD_WRITE || request.length == 0) {
            pass(request);
            return;
        }
        int payload = (int) request.length;
        if (in.readableBytes() >= payload) {
            request.buffer = in.readRetainedSlice(payload);
            pass(request);
            return;
        }
        if (payload < WritePayloads.MIN_SIZE) {
            // No bigger than one read buffer, so counted as a payload read in one piece is: from
            // the pool, its budget back at the reply (an early answer takes its own, EarlyAnswers).
            // A BudgetedPayload was five objects and a Cleaner per such WRITE (issue #15).
            request.buffer = ctx.alloc().directBuffer(payload, payload);
        } else {
            // Allocated only now that the budget holds the bytes; from here the buffer holds them,
            // until its memory is freed (which may be after the reply, see BudgetedPayload).
            request.buffer = BudgetedPayload.take(payload, request, payloads);
        }
        if (payloadTrim == null && WritePayloads.fits(payload)) {
            payloadTrim = ctx.executor().scheduleAtFixedRate(payloads::trimIfIdle, 1, 1, TimeUnit.SECONDS);
        }
        filling = request;
        fillRemaining = payload;
        gather(in);
    }

    private void gather(ByteBuf in) {
        int n = Math.min(in.readableBytes(), fillRemaining);
        filling.buffer.writeBytes(in, n);
        filled(n);
    }

    private void filled(int n) {
        fillRemaining -= n;
        if (fillRemaining == 0) {
            NbdRequest done = filling;
            filling = null;
            lent = null;
            pass(done);
        }
    }

    private void pass(NbdRequest request) {
        if (request.type == CMD_DISC) {
            discarding = true;
        }
        ctx.fireChannelRead(request);
    }

    /**
     * A request that has been answered and holds no buffer or budget any more; on the event
     * loop. Nothing may complete it again: a backend that does is caught while it is idle.
     */
    void recycle(NbdRequest request) {
        if (request.idle) {
            throw new IllegalStateException("request recycled twice: " + request);
        }
        request.idle = true;
        if (idle.size() < MAX_IDLE) {
            idle.add(request);
        }
    }

    /** From the budget, on the releasing thread: continue on the event loop. */
    @Override
    public void budgetGranted() {
        try {
            ctx.executor().execute(resume);
        } catch (RejectedExecutionException e) {
            budget.release(wantedBytes()); // the loop is gone, and the channel with it
        }
    }

    @Override
    public long wantedBytes() {
        return admitting.budgetBytes;
    }

    private void resume() {
        NbdRequest request = admitting;
        admitting = null;
        ByteBuf rest = leftover;
        leftover = null;
        if (removed) {
            request.releaseBudget(budget);
            if (rest != null) {
                rest.release();
            }
            return;
        }
        ByteBuf in = rest != null ? rest : Unpooled.EMPTY_BUFFER;
        try {
            admit(request, in);
        } catch (RuntimeException e) {
            in.release();
            throw e;
        }
        decode(in);
        readInterestChanged.run();
    }

    private void fail(String why) {
        LOG.warn("NBD client {}: {}; closing the connection.", NbdTransmission.peer(ctx.channel()), why);
        discarding = true;
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        lent = null; // a read under way releases its own reference
        if (admitting != null && budget.withdraw(this)) {
            admitting = null; // never granted: nothing to give back
        }
        if (admitting == null && leftover != null) {
            leftover.release();
            leftover = null;
        }
        if (filling != null) {
            filling.releaseBuffer();
            filling.releaseBudget(budget);
            filling = null;
        }
        header.release();
        if (payloadTrim != null) {
            payloadTrim.cancel(false);
        }
        payloads.close();
    }
}
