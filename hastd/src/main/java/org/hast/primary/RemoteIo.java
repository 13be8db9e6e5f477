package org.hast.primary;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.daemon.process.FatalThreads;
import org.hast.link.EncodedFrame;
import org.hast.link.HastFrameEncoder;
import org.hast.nv.NvWriter;
import org.hast.proto.HioCommand;
import org.hast.proto.PayloadFields;
import org.hast.proto.RequestHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;

/**
 * The remote component (spec §11.4): requests are turned into frames on the {@code out}
 * connection by one event loop, and {@link ReplyReceiver} matches the replies arriving on
 * {@code in}. A request is in the in-flight table before its frame is written, so a fast
 * reply always finds it; whoever removes it from the table completes it (reply, failed
 * write, or the sweep after a disconnect), so it completes exactly once. A memsync "received"
 * reply does not remove it but holds it from completing while it is handled.
 *
 * <p>No thread of its own (docs/threads.md): {@link #submit} puts the request in a lock-free
 * queue and has {@link #loop} drain it, which on the worker's shared loop is the thread that
 * decoded the client's request, so the frame leaves without a hand-off; from any other thread
 * it costs one wake-up of the loop, once per burst. The queue is FIFO across submitting
 * threads: async's remote part queued before its local part stays ahead of a later FLUSH.
 * Back-pressure: while {@code out} is not writable the queue waits (its requests hold their
 * slots, so at most {@link PrimaryPipeline#REQUEST_SLOTS} do) and {@link SendResume} drains it
 * again once the socket has taken what Netty held.
 */
final class RemoteIo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteIo.class);
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;
    private static final long TIMEOUT_CHECK_SECONDS = 1;
    /**
     * Frames Netty may hold unsent before the queue waits: a client's 1 MiB write (eight
     * 128 KiB frames) leaves in one flush. Netty's defaults (32/64 KiB) made every 128 KiB
     * frame a flush of its own, and its gathering-write limit, halved by a partial write and
     * grown only by writes that reach it, then stayed below one frame: a {@code writev} of the
     * header alone and a {@code send} of the payload, 16 system calls per MiB (issue #15).
     * The payloads are the requests' own buffers, so this holds no more memory.
     */
    static final WriteBufferWaterMark SEND_WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);

    /** Submitted, not yet written: many producers, the loop the only consumer. */
    private final Queue<Hio> pending;
    private final InflightTable inFlight;
    /** Shared with synchronisation (A6): one 64-bit sequence for every request. */
    private final AtomicLong sequence;
    private final PayloadCodec sendCodec;
    private final ByteBuffer scratch;
    /** The loop's nv writer, cleared for each request. */
    private final NvWriter nv = new NvWriter(256);
    private final Consumer<Hio> done;
    private final Consumer<Hio> received;
    /** Encodes and writes every frame; the only reader of {@link #pending}. */
    private final EventLoop loop;
    private final boolean ownsLoop;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final ScheduledFuture<?> timeoutCheck;
    private volatile ConnectionPair link;
    private volatile boolean closed;
    /**
     * The reference's SO_RCVTIMEO on {@code in} (spec §4.8, {@code timeout}): with requests in
     * flight and no reply for this long the link is declared dead. Without it a link that goes
     * silent (cable pulled, no RST) kept every write waiting until TCP gave up, many minutes.
     */
    private volatile long replyTimeoutNs = TimeUnit.SECONDS.toNanos(20);
    /** When the secondary last answered, or the in-flight table last became non-empty. */
    private volatile long lastProgressNs = System.nanoTime();

    /**
     * @param loop     the loop that writes the frames: best the one the link's channels and the
     *                 clients' are registered on; null for one of its own, shut down by {@link #close}
     * @param done     a request finished on the remote; its {@code remoteError} is set
     * @param received memsync: the secondary has the data (first of two replies); the request is
     *                 held ({@link Hio#holdComponent}) and {@code received} must end the hold
     *                 with {@link Hio#componentDone}
     */
    RemoteIo(PayloadCodec sendCodec, int maxRequestBytes, int capacity, AtomicLong sequence, EventLoop loop,
            Consumer<Hio> done, Consumer<Hio> received) {
        this.sendCodec = sendCodec;
        this.scratch = ByteBuffer.allocateDirect(maxRequestBytes);
        this.pending = PlatformDependent.newFixedMpscQueue(capacity);
        this.inFlight = new InflightTable(capacity);
        this.sequence = sequence;
        this.ownsLoop = loop == null;
        this.loop = loop != null ? loop : new DefaultEventLoop(FatalThreads.eventLoops("remote-send"));
        this.done = done;
        this.received = received;
        this.timeoutCheck = this.loop.scheduleAtFixedRate(this::checkReplyTimeout, TIMEOUT_CHECK_SECONDS,
                TIMEOUT_CHECK_SECONDS, TimeUnit.SECONDS);
    }

    /** A new connection pair is up: requests go over it from now on. */
    void attach(ConnectionPair newConnectionPair) {
        lastProgressNs = System.nanoTime();
        newConnectionPair.out().config().setWriteBufferWaterMark(SEND_WATER_MARK);
        newConnectionPair.out().pipeline().addLast(new SendResume(this));
        link = newConnectionPair;
    }

    /** SIGHUP: frames encoded from now on use these; set on the loop that encodes them. */
    void setSendCodec(Compression compression, ChecksumAlgorithm checksum) {
        loop.execute(() -> sendCodec.configure(compression, checksum));
    }

    /** The resource's {@code timeout} (seconds): how long replies may keep us waiting. */
    void setReplyTimeout(int seconds) {
        replyTimeoutNs = TimeUnit.SECONDS.toNanos(Math.max(1, seconds));
    }

    /** The connection is gone: every request in flight fails with ENOTCONN, and so do the queued ones. */
    void detach() {
        link = null;
        failInFlight(ENOTCONN);
        scheduleDrain();
    }

    boolean connected() {
        ConnectionPair l = link;
        return l != null && l.active();
    }

    /** The negotiated protocol version, 0 while not connected. */
    int version() {
        ConnectionPair l = link;
        return l == null ? 0 : l.version();
    }

    /** The extensions negotiated with the connected peer, 0 while not connected. */
    boolean hasCapability(int capability) {
        ConnectionPair l = link;
        return l != null && l.has(capability);
    }

    /** Any thread; never waits and never completes {@code hio} before returning unless it fails at once. */
    void submit(Hio hio) {
        if (closed || !pending.offer(hio)) {
            hio.remoteError = closed ? ESHUTDOWN : ENOTCONN;
            done.accept(hio);
            return;
        }
        scheduleDrain();
    }

    /**
     * Has the loop drain the queue after what it is doing now: on the loop itself that is
     * after the current batch of reads, so a burst of requests leaves in one flush.
     */
    void scheduleDrain() {
        if (drainScheduled.get() || !drainScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            loop.execute(drainTask);
        } catch (RejectedExecutionException e) {
            // The loop is gone (shutting down): nobody else consumes the queue any more.
            synchronized (this) {
                failPending(ESHUTDOWN);
            }
        }
    }

    int queued() {
        return pending.size();
    }

    int inFlight() {
        return inFlight.size();
    }

    /** Removes a request for completion; null when someone else already completed it. */
    Hio claim(long seq) {
        lastProgressNs = System.nanoTime();
        return inFlight.remove(seq);
    }

    void completed(Hio hio) {
        done.accept(hio);
    }

    /**
     * memsync's first reply for {@code seq}: hands the request to {@code received} held from
     * completing (see {@link InflightTable#holdMemsync}), so that a disconnect sweep on another
     * thread cannot finish it and have its Hio recycled for another request meanwhile. False when
     * no memsync request is in flight as {@code seq} (late or unknown): nothing is touched.
     */
    boolean receivedFirst(long seq) {
        Hio hio = inFlight.holdMemsync(seq);
        if (hio == null) {
            return false;
        }
        lastProgressNs = System.nanoTime();
        received.accept(hio);
        return true;
    }

    /** On the loop: writes what is queued while {@code out} takes it, then flushes once. */
    private void drain() {
        // Cleared first: a request offered from now on schedules another drain, never waits.
        drainScheduled.set(false);
        ConnectionPair l = link;
        Channel out = l == null ? null : l.out();
        boolean unflushed = false;
        Hio hio;
        while ((hio = pending.peek()) != null) {
            if (closed || l == null || !l.active()) {
                pending.poll();
                hio.remoteError = closed ? ESHUTDOWN : ENOTCONN;
                done.accept(hio);
                continue;
            }
            if (!out.isWritable()) {
                if (unflushed) {
                    out.flush(); // the socket may take it all now
                    unflushed = false;
                }
                if (!out.isWritable()) {
                    return; // SendResume drains again once it is
                }
            }
            pending.poll();
            unflushed |= send(l, hio);
        }
        if (unflushed) {
            out.flush();
        }
    }

    /** Whether a frame was written (not flushed). */
    private boolean send(ConnectionPair l, Hio hio) {
        long seq = sequence.getAndIncrement();
        hio.seq = seq;
        EncodedFrame frame;
        try {
            frame = frame(l.version(), hio, seq);
        } catch (RuntimeException e) {
            LOG.error("Unable to prepare header for {}: {}.", hio, e.toString());
            hio.remoteError = Hio.EINVAL;
            done.accept(hio);
            return false;
        }
        if (inFlight.isEmpty()) {
            lastProgressNs = System.nanoTime();
        }
        inFlight.put(seq, hio);
        if (link != l) {
            // Detached since we looked (from another thread than the loop): the sweep may
            // have run before the put, and a write to a closing connection could succeed with
            // no reply ever coming.
            frame.release();
            if (inFlight.remove(seq, hio)) {
                hio.remoteError = ENOTCONN;
                done.accept(hio);
            }
            return false;
        }
        // No promise per request: a failed write reaches WriteFailureCloser, which closes the
        // connection, and closing fails every request in flight, this one included.
        Channel out = l.out();
        out.write(frame, out.voidPromise());
        return true;
    }

    /** Closes a link whose secondary stopped answering (see {@link #replyTimeoutNs}); on the loop. */
    private void checkReplyTimeout() {
        ConnectionPair l = link;
        if (l == null || inFlight.isEmpty()) {
            return;
        }
        long silentNs = System.nanoTime() - lastProgressNs;
        if (silentNs > replyTimeoutNs) {
            LOG.error("No reply from the secondary for {} s with {} requests in flight; disconnecting.",
                    TimeUnit.NANOSECONDS.toSeconds(silentNs), inFlight.size());
            lastProgressNs = System.nanoTime();
            // The close listeners report the disconnect and fail the requests in flight.
            l.in().close();
            l.out().close();
        }
    }

    /**
     * The request's frame, its header encoded here on the loop into a pooled buffer
     * with the one reusable nv writer, so a request costs no nv or header objects.
     */
    private EncodedFrame frame(int version, Hio hio, long seq) {
        switch (hio.cmd) {
            case READ, DELETE, FLUSH, HASH, WRITE -> { }
            default -> throw new IllegalArgumentException("no remote form for " + hio.cmd);
        }
        boolean write = hio.cmd == HioCommand.WRITE;
        RequestHeader.writeRequest(nv.clear(), hio.cmd, seq, hio.offset, hio.length, write && hio.memsync);
        ByteBuf payload = write ? payload(hio) : Unpooled.EMPTY_BUFFER;
        try {
            return EncodedFrame.of(HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, version, nv),
                    payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    /** Appends the payload stage's fields to {@link #nv} and returns the bytes to send after it. */
    private ByteBuf payload(Hio hio) {
        if (sendCodec.isPlain() || (holesOnly() && !allZero(hio.data, hio.dataIndex, hio.length))) {
            // Nothing to encode: no view of the payload to build, only its size to announce.
            nv.addUint32(PayloadFields.FIELD_SIZE, hio.length);
            return hio.data.retainedSlice(hio.dataIndex, hio.length);
        }
        scratch.clear();
        EncodedPayload encoded = sendCodec.encode(hio.data.nioBuffer(hio.dataIndex, hio.length), scratch);
        PayloadFields.append(nv, encoded);
        if (encoded.compressionName() == null) {
            // Sent as it is: the frame takes its own reference to the client's buffer.
            return hio.data.retainedSlice(hio.dataIndex, hio.length);
        }
        if (encoded.size() == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        // The scratch area is reused for the next request: the compressed bytes move out.
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer(encoded.size());
        payload.writeBytes(encoded.payload().duplicate());
        return payload;
    }

    /**
     * {@code compression hole} without a checksum (the default): data that is not all zeros goes
     * as it is, so its check needs no {@code ByteBuffer} view of the payload (two objects per
     * request from a pooled buffer) and no call into the codec.
     */
    private boolean holesOnly() {
        return sendCodec.compression() == Compression.HOLE && sendCodec.checksum() == ChecksumAlgorithm.NONE;
    }

    /** {@link org.hast.codec.Hole#isAllZero} on a {@code ByteBuf}: first, middle and last word first. */
    static boolean allZero(ByteBuf data, int index, int length) {
        if (length == 0) {
            return false; // nothing to save, as the codec decides
        }
        int words = length >>> 3;
        if (words > 0 && (data.getLong(index) | data.getLong(index + ((words >>> 1) << 3))
                | data.getLong(index + ((words - 1) << 3))) != 0) {
            return false;
        }
        long acc = 0;
        int wordEnd = index + (words << 3);
        for (int i = index; i < wordEnd; i += 8) {
            acc |= data.getLong(i);
        }
        for (int i = wordEnd; i < index + length; i++) {
            acc |= data.getByte(i);
        }
        return acc == 0;
    }

    private void failInFlight(int errno) {
        Hio hio;
        while ((hio = inFlight.removeAny()) != null) {
            hio.remoteError = errno;
            done.accept(hio);
        }
    }

    /** Only by the queue's consumer: the loop, or whoever holds this monitor once the loop is gone. */
    private void failPending(int errno) {
        Hio hio;
        while ((hio = pending.poll()) != null) {
            hio.remoteError = errno;
            done.accept(hio);
        }
    }

    /** Fails what is queued and in flight with ESHUTDOWN (from any thread). */
    @Override
    public void close() {
        closed = true;
        timeoutCheck.cancel(false);
        if (loop.inEventLoop()) {
            drain();
        } else {
            try {
                // The loop is the queue's only consumer: the sweep runs there.
                if (!loop.submit(drainTask).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                    LOG.warn("The remote sender's loop did not answer within 5 s at close.");
                }
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    failPending(ESHUTDOWN);
                }
            }
        }
        link = null;
        failInFlight(ESHUTDOWN);
        if (ownsLoop) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
