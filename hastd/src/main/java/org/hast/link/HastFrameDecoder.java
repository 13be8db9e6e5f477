package org.hast.link;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

import org.hast.buffers.PayloadReadAllocator;
import org.hast.buffers.ReadTargetLender;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.proto.FrameHeader;
import org.hast.proto.PayloadFields;

/**
 * Splits a replication connection's byte stream into {@link HastFrame}s (spec §4.1):
 * <pre>
 * +---------+-------------+------------------+---------------------------------+
 * | version | nv size     | nv blob          | payload                         |
 * | uint8   | uint32 LE   | (nv size) bytes  | (nv's "size" uint32) bytes, or  |
 * |         |             |                  | nothing when size is 0/missing  |
 * +---------+-------------+------------------+---------------------------------+
 * </pre>
 * The reference has no size limit; this decoder has two. A version above
 * {@link FrameHeader#MAX_VERSION}, an nv size above {@code maxNvSize}, an nv blob that breaks
 * §5.3 or a {@code size} above {@code maxPayloadSize} fires one {@link HastFrameException};
 * from then on every byte is discarded, so the handler can log once and close.
 *
 * <p>Each payload byte is copied at most once after the socket read, and large payloads not
 * even once: a payload that lies whole in one received buffer is a retained slice of it; one
 * that spans reads gets its own direct buffer of the announced size, which the bytes at hand
 * are copied into and the rest of which is lent to the channel's next socket reads (see
 * {@link PayloadReadAllocator}), so the kernel writes them where the disk write will read
 * them. There is no cumulation buffer: before this decoder, the secondary copied every
 * payload byte once more into one and spent 0.6-0.75 s of CPU per GiB synced doing it. Large
 * payload buffers are recycled per connection ({@link PayloadBuffers}).
 *
 * <p>Memory stays bounded by the caps: the header and nv are gathered into a small buffer
 * that grows only with received bytes (at most {@code 5 + maxNvSize}); a payload buffer is
 * sized from the nv's {@code size} only once that has passed the payload cap, and only up to
 * {@link #AHEAD_LIMIT} ahead of the bytes (a larger handshake bitmap grows as it arrives).
 * Any fragmentation works, down to one byte per read.
 *
 * <p>The decoder keeps per-connection state: one instance per channel, on its event loop.
 */
public final class HastFrameDecoder extends ChannelInboundHandlerAdapter implements ReadTargetLender {
    /** Large enough for every message of §4 and the control protocol; 64 KiB. */
    public static final int DEFAULT_MAX_NV_SIZE = 64 * 1024;
    /** MAXPHYS (1 MiB, decisions §1) plus 1 KiB of slack. */
    public static final int DEFAULT_MAX_PAYLOAD_SIZE = 1024 * 1024 + 1024;
    /** The most a payload buffer is allocated ahead of its bytes: one request's worth. */
    static final int AHEAD_LIMIT = DEFAULT_MAX_PAYLOAD_SIZE;
    /**
     * Below this many missing payload bytes, the next read goes to a buffer of the channel's
     * own and the bytes are copied: a read of a small rest alone costs a system call more
     * than copying it costs.
     */
    static final int MIN_LENT_READ = 32 * 1024;
    /**
     * Between payloads read in place, the next read takes this much: the next header and a
     * little, so that a large payload's first bytes are not read into a 64 KiB buffer and copied
     * out of it (half of every 128 KiB write on the secondary, issue #15).
     */
    static final int HEAD_READ = 1024;

    private final int maxNvSize;
    private int maxPayloadSize;
    private final PayloadBuffers payloadBuffers = new PayloadBuffers(AHEAD_LIMIT);
    /** Every second: frees the kept payload buffers of an idle connection. */
    private ScheduledFuture<?> trim;

    private ChannelHandlerContext ctx;
    /** Header and nv bytes that arrived split over reads; reused, null until first needed. */
    private ByteBuf head;
    /** The nv size of the header in {@code head}, or -1 while its five bytes are incomplete. */
    private int headNvSize = -1;
    /** The payload being filled across reads (its frame's header is pending), or null. */
    private ByteBuf payload;
    private int pendingVersion;
    private NvMessage pendingNv;
    private int pendingPayloadSize;
    /** {@code payload} when handed (retained) to the socket's current read, or null. */
    private ByteBuf lent;
    /** {@code payload}'s writer index when it was lent: the read writes from there. */
    private int lentFrom;
    /** Payload bytes the socket wrote in place, into lent payloads. */
    private long bytesReadInPlace;
    /** The last payload was read in place: the next frame's is likely large too. */
    private boolean largePayloads;
    /** Whether this read event's buffers produced no frame (for reads without autoRead). */
    private boolean readWithoutFrame;
    private boolean frameFired;
    /** Set on the first error: the stream is out of step, nothing after it is decoded. */
    private boolean failed;
    /**
     * With {@link #reuseFrames}: the one frame and nv view rebound to each message while the
     * consumer released the previous one (see {@link HastFrame}), else null.
     */
    private HastFrame reusedFrame;
    /** Whether {@code pendingNv} is {@code reusedFrame}'s view (else a kept copy). */
    private boolean pendingReused;

    public HastFrameDecoder() {
        this(DEFAULT_MAX_NV_SIZE, DEFAULT_MAX_PAYLOAD_SIZE);
    }

    /**
     * @param maxNvSize      the largest nv blob accepted, in bytes
     * @param maxPayloadSize the largest payload accepted, in bytes
     */
    public HastFrameDecoder(int maxNvSize, int maxPayloadSize) {
        if (maxNvSize < 0 || maxPayloadSize < 0) {
            throw new IllegalArgumentException("negative cap: nv " + maxNvSize + ", payload "
                    + maxPayloadSize);
        }
        this.maxNvSize = maxNvSize;
        this.maxPayloadSize = maxPayloadSize;
    }

    public int maxNvSize() {
        return maxNvSize;
    }

    public int maxPayloadSize() {
        return maxPayloadSize;
    }

    /**
     * Changes the payload cap for the frames whose nv has not been read yet. The primary
     * raises it to its bitmap size before the secondary's handshake reply (the bitmap can be
     * larger than MAXPHYS: at 4 KiB extents it takes 32 KiB per GiB of data) and lowers it
     * afterwards. Call it from the channel's event loop.
     */
    public void setMaxPayloadSize(int maxPayloadSize) {
        if (maxPayloadSize < 0) {
            throw new IllegalArgumentException("negative payload cap " + maxPayloadSize);
        }
        this.maxPayloadSize = maxPayloadSize;
    }

    /**
     * From now on, fires one reused frame over one reused nv view instead of a new frame and a
     * heap copy per message: the data path's zero-allocation form. The consumer must read the
     * frame on the event loop and release it before it returns (see {@link HastFrame}); should it
     * keep one, the next messages get kept frames again until it releases it. The handshake's
     * frames, which are kept, come before this is switched on. Call it from the event loop.
     */
    public void reuseFrames() {
        if (reusedFrame == null) {
            reusedFrame = new HastFrame(NvMessage.reusable());
        }
    }

    /** Payload bytes the socket wrote straight into their frame's buffer so far. */
    public long bytesReadInPlace() {
        return bytesReadInPlace;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ChannelConfig config = ctx.channel().config();
        config.setRecvByteBufAllocator(new PayloadReadAllocator(config.getRecvByteBufAllocator(), this));
        trim = ctx.executor().scheduleAtFixedRate(payloadBuffers::trimIfIdle, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseState();
        closePayloadBuffers();
        this.ctx = null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // a partial frame at close is dropped
        releaseState();
        closePayloadBuffers();
        ctx.fireChannelInactive();
    }

    private void closePayloadBuffers() {
        if (trim != null) {
            trim.cancel(false);
            trim = null;
        }
        payloadBuffers.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        readWithoutFrame = true;
        HastFrameException error = null;
        try {
            if (failed) {
                return;
            }
            if (in == lent) {
                // the socket wrote these bytes into the payload itself, and moved its writer index
                lent = null;
                largePayloads = true;
                bytesReadInPlace += payload.writerIndex() - lentFrom;
                completePayloadIfFull();
                return; // the read's reference goes below
            }
            decode(ctx, in);
        } catch (HastFrameException e) {
            error = fail(e);
        } finally {
            in.release();
        }
        if (error != null) {
            ctx.fireExceptionCaught(error);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // without autoRead, a read that completed no frame asks for the rest itself
        if (readWithoutFrame && !frameFired && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        readWithoutFrame = false;
        frameFired = false;
        ctx.fireChannelReadComplete();
    }

    /**
     * The buffer the channel's next socket read should fill, or null for one of its own: the
     * missing part of the payload being received, unless that is small or something in front
     * of this decoder (TLS) transforms the bytes; between payloads read in place, a buffer of
     * {@link #HEAD_READ} bytes.
     */
    @Override
    public ByteBuf lendReadTarget() {
        if (failed || ctx == null) {
            return null;
        }
        if (payload == null) {
            boolean betweenLarge = largePayloads && headNvSize < 0 && (head == null || !head.isReadable());
            return betweenLarge && ctx.pipeline().get(SslHandler.class) == null
                    ? ctx.alloc().directBuffer(HEAD_READ, HEAD_READ) : null;
        }
        int room = Math.min(pendingPayloadSize, payload.capacity()) - payload.writerIndex();
        // The socket reads up to the capacity: past the payload's end it would take the next frame's bytes.
        if (room < MIN_LENT_READ || payload.capacity() > pendingPayloadSize
                || ctx.pipeline().get(SslHandler.class) != null) {
            return null;
        }
        // The payload itself, not a slice of its missing part (an object per read): the socket
        // reads from its writer index up to its capacity, which is at most the payload's size.
        lentFrom = payload.writerIndex();
        lent = payload.retain();
        return lent;
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf in) {
        // a fired frame may have closed the channel and removed this decoder
        while (in.isReadable() && !failed && this.ctx != null) {
            if (payload != null) {
                int n = Math.min(in.readableBytes(), pendingPayloadSize - payload.writerIndex());
                // Read from the (pooled) input, not written into the payload: Netty's adaptive buffers
                // make a ByteBuffer view per write into them, a pooled one copies address to address.
                in.readBytes(payload, n);
                completePayloadIfFull();
            } else if ((head == null || !head.isReadable()) && readHeaderAndNv(in, in.readerIndex())) {
                startPayload(ctx, in);
            } else if (gatherHead(in)) {
                startPayload(ctx, in);
            }
        }
    }

    /**
     * Reads header + nv straight from {@code in} when all of it is there.
     *
     * @return whether they were consumed
     */
    private boolean readHeaderAndNv(ByteBuf in, int at) {
        if (in.readableBytes() < FrameHeader.HEADER_SIZE) {
            return false;
        }
        int nvSize = checkHeader(in.getUnsignedByte(at), in.getUnsignedIntLE(at + 1));
        if (in.readableBytes() - FrameHeader.HEADER_SIZE < nvSize) {
            return false;
        }
        pendingVersion = in.getUnsignedByte(at);
        decodeNv(in, at + FrameHeader.HEADER_SIZE, nvSize);
        in.skipBytes(FrameHeader.HEADER_SIZE + nvSize);
        return true;
    }

    /**
     * Moves header and nv bytes from {@code in} into {@code head}, no more than they need.
     *
     * @return whether {@code head} now holds a whole header + nv, which was decoded
     */
    /**
     * Up to {@code upTo} bytes in {@code head}. {@code in.readBytes}, not {@code head.writeBytes}:
     * into a heap head that is one copy from the direct buffer's address, where writeBytes made
     * two ByteBuffer views of it (issue #15).
     */
    private void moveToHead(ByteBuf in, int upTo) {
        int n = Math.min(in.readableBytes(), upTo - head.readableBytes());
        head.ensureWritable(n);
        in.readBytes(head, n);
    }

    private boolean gatherHead(ByteBuf in) {
        if (head == null) {
            int most = FrameHeader.HEADER_SIZE + maxNvSize;
            head = ctx.alloc().heapBuffer(Math.min(64, most), most);
        }
        if (headNvSize < 0) {
            moveToHead(in, FrameHeader.HEADER_SIZE);
            if (head.readableBytes() < FrameHeader.HEADER_SIZE) {
                return false;
            }
            headNvSize = checkHeader(head.getUnsignedByte(0), head.getUnsignedIntLE(1));
        }
        int total = FrameHeader.HEADER_SIZE + headNvSize;
        moveToHead(in, total);
        if (head.readableBytes() < total) {
            return false;
        }
        pendingVersion = head.getUnsignedByte(0);
        decodeNv(head, FrameHeader.HEADER_SIZE, headNvSize);
        head.clear();
        headNvSize = -1;
        return true;
    }

    /** Judges a header from its five bytes and returns its nv size. */
    private int checkHeader(int version, long nvSize) {
        if (version > FrameHeader.MAX_VERSION) {
            throw new HastFrameException(HastFrameException.Kind.VERSION,
                    "Unsupported protocol version " + version + " (this side speaks up to "
                    + FrameHeader.MAX_VERSION + ").");
        }
        if (nvSize > maxNvSize) {
            throw new HastFrameException(HastFrameException.Kind.NV_TOO_LARGE,
                    "Header announces " + nvSize + " bytes of nv, the limit is " + maxNvSize
                    + ".");
        }
        return (int) nvSize;
    }

    /** Sets {@code pendingNv}: the reused view when it is free, else a kept copy. */
    private void decodeNv(ByteBuf from, int at, int nvSize) {
        // a copy either way: the nv outlives this read, the received buffer does not
        try {
            if (reusedFrame != null && reusedFrame.free()) {
                NvMessage view = reusedFrame.nvView();
                from.getBytes(at, view.rebindBuffer(nvSize), 0, nvSize);
                view.decodeReused(nvSize);
                pendingNv = view;
                pendingReused = true;
                return;
            }
            byte[] blob = new byte[nvSize];
            from.getBytes(at, blob);
            pendingNv = NvMessage.decode(blob);
            pendingReused = false;
        } catch (NvFormatException e) {
            throw new HastFrameException(HastFrameException.Kind.MALFORMED_NV,
                    "Malformed nv: " + e.getMessage(), e);
        }
    }

    /** After a pending nv: fires a frame without payload, a slice of {@code in}, or starts a buffer. */
    private void startPayload(ChannelHandlerContext ctx, ByteBuf in) {
        // size missing or of another type: no payload (hast_proto_recv_data)
        long size = pendingNv.getUint32(PayloadFields.FIELD_SIZE);
        if (size > maxPayloadSize) {
            throw new HastFrameException(HastFrameException.Kind.PAYLOAD_TOO_LARGE,
                    "Header announces a payload of " + size + " bytes, the limit is "
                    + maxPayloadSize + ".");
        }
        if (size == 0) {
            largePayloads = false;
            fire(frame(Unpooled.EMPTY_BUFFER));
        } else if (in.readableBytes() >= size) {
            largePayloads = false;
            fire(frame(in.readRetainedSlice((int) size)));
        } else {
            pendingPayloadSize = (int) size;
            payload = payloadBuffers.fits(pendingPayloadSize)
                    ? payloadBuffers.take(pendingPayloadSize)
                    : ctx.alloc().directBuffer(Math.min(pendingPayloadSize, AHEAD_LIMIT), pendingPayloadSize);
            return;
        }
        pendingNv = null;
    }

    private void completePayloadIfFull() {
        if (payload.writerIndex() < pendingPayloadSize) {
            return;
        }
        ByteBuf full = payload;
        payload = null;
        lent = null;
        fire(frame(full));
        pendingNv = null;
    }

    /** The pending message as a frame: the reused one when its view holds the nv. */
    private HastFrame frame(ByteBuf payload) {
        return pendingReused ? reusedFrame.rebind(pendingVersion, payload)
                : new HastFrame(pendingVersion, pendingNv, payload);
    }

    private void fire(HastFrame frame) {
        frameFired = true;
        ctx.fireChannelRead(frame);
    }

    /** Marks the stream broken, drops what is buffered, and returns {@code e} to fire. */
    private HastFrameException fail(HastFrameException e) {
        failed = true;
        releaseState();
        return e;
    }

    private void releaseState() {
        if (pendingReused && pendingNv != null && reusedFrame.free()) {
            pendingNv.invalidate();
        }
        pendingReused = false;
        pendingNv = null;
        headNvSize = -1;
        lent = null;
        if (payload != null) {
            payload.release();
            payload = null;
        }
        if (head != null) {
            head.release();
            head = null;
        }
    }
}
