package org.hast.primary;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.link.EncodedFrame;
import org.hast.link.HastFrameEncoder;
import org.hast.daemon.process.FatalThreads;
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

/**
 * The remote component (spec §11.4): one sender thread turns requests into frames on the
 * {@code out} connection, and {@link ReplyReceiver} matches the replies arriving on
 * {@code in}. A request is in the in-flight table before its frame is written, so a fast
 * reply always finds it; whoever removes it from the table completes it (reply, failed
 * write, or the sweep after a disconnect), so it completes exactly once.
 */
final class RemoteIo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteIo.class);
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;
    private static final Hio STOP = new Hio(org.hast.proto.HioCommand.UNDEF, 0, 0, null, e -> { });

    private final BlockingQueue<Hio> queue;
    private final InflightTable inFlight;
    /** Shared with synchronisation (A6): one 64-bit sequence for every request. */
    private final AtomicLong sequence;
    private final PayloadCodec sendCodec;
    private final ByteBuffer scratch;
    /** The sender thread's nv writer, cleared for each request. */
    private final NvWriter nv = new NvWriter(256);
    private final Consumer<Hio> done;
    private final Consumer<Hio> received;
    private final Thread sender;
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
     * @param done     a request finished on the remote; its {@code remoteError} is set
     * @param received memsync: the secondary has the data (first of two replies)
     */
    RemoteIo(PayloadCodec sendCodec, int maxRequestBytes, int capacity, AtomicLong sequence,
            Consumer<Hio> done, Consumer<Hio> received) {
        this.sendCodec = sendCodec;
        this.scratch = ByteBuffer.allocateDirect(maxRequestBytes);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.inFlight = new InflightTable(capacity);
        this.sequence = sequence;
        this.done = done;
        this.received = received;
        this.sender = FatalThreads.start("remote-send", this::sendLoop);
    }

    /** A new connection pair is up: requests go over it from now on. */
    void attach(ConnectionPair newConnectionPair) {
        lastProgressNs = System.nanoTime();
        link = newConnectionPair;
    }

    /** The resource's {@code timeout} (seconds): how long replies may keep us waiting. */
    void setReplyTimeout(int seconds) {
        replyTimeoutNs = TimeUnit.SECONDS.toNanos(Math.max(1, seconds));
    }

    /** The connection is gone: every request in flight fails with ENOTCONN. */
    void detach() {
        link = null;
        failInFlight(ENOTCONN);
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

    void submit(Hio hio) {
        if (closed || !queue.offer(hio)) {
            hio.remoteError = closed ? ESHUTDOWN : ENOTCONN;
            done.accept(hio);
        }
    }

    int queued() {
        return queue.size();
    }

    int inFlight() {
        return inFlight.size();
    }

    Hio inFlight(long seq) {
        return inFlight.get(seq);
    }

    /** Removes a request for completion; null when someone else already completed it. */
    Hio claim(long seq) {
        lastProgressNs = System.nanoTime();
        return inFlight.remove(seq);
    }

    void completed(Hio hio) {
        done.accept(hio);
    }

    void receivedFirst(Hio hio) {
        lastProgressNs = System.nanoTime();
        received.accept(hio);
    }

    private void sendLoop() {
        while (true) {
            Hio hio;
            try {
                hio = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            checkReplyTimeout();
            if (hio == null) {
                continue;
            }
            if (hio == STOP) {
                return;
            }
            ConnectionPair l = link;
            if (l == null || !l.active()) {
                hio.remoteError = ENOTCONN;
                done.accept(hio);
                continue;
            }
            send(l, hio, queue.isEmpty());
        }
    }

    private void send(ConnectionPair l, Hio hio, boolean flush) {
        long seq = sequence.getAndIncrement();
        hio.seq = seq;
        EncodedFrame frame;
        try {
            frame = frame(l.version(), hio, seq);
        } catch (RuntimeException e) {
            LOG.error("Unable to prepare header for {}: {}.", hio, e.toString());
            hio.remoteError = Hio.EINVAL;
            done.accept(hio);
            return;
        }
        if (inFlight.isEmpty()) {
            lastProgressNs = System.nanoTime();
        }
        inFlight.put(seq, hio);
        if (link != l) {
            // Detached since we looked: the sweep may have run before the put, and a write to
            // a connection that is still closing could succeed with no reply ever coming.
            frame.release();
            if (inFlight.remove(seq, hio)) {
                hio.remoteError = ENOTCONN;
                done.accept(hio);
            }
            return;
        }
        // No promise per request: a failed write reaches WriteFailureCloser, which closes the
        // connection, and closing fails every request in flight, this one included.
        Channel out = l.out();
        out.write(frame, out.voidPromise());
        if (flush) {
            out.flush();
        }
    }

    /** Closes a link whose secondary stopped answering (see {@link #replyTimeoutNs}). */
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
     * The request's frame, its header encoded here on the sender thread into a pooled buffer
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
            return new EncodedFrame(HastFrameEncoder.encodeHeader(PooledByteBufAllocator.DEFAULT, version, nv),
                    payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    /** Appends the payload stage's fields to {@link #nv} and returns the bytes to send after it. */
    private ByteBuf payload(Hio hio) {
        if (sendCodec.isPlain()) {
            // Nothing to encode: no view of the payload to build, only its size to announce.
            nv.addUint32(PayloadFields.FIELD_SIZE, hio.data.readableBytes());
            return hio.data.retainedSlice();
        }
        scratch.clear();
        EncodedPayload encoded = sendCodec.encode(hio.data.nioBuffer(), scratch);
        PayloadFields.append(nv, encoded);
        if (encoded.compressionName() == null) {
            // Sent as it is: the frame takes its own reference to the client's buffer.
            return hio.data.retainedSlice();
        }
        if (encoded.size() == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        // The scratch area is reused for the next request: the compressed bytes move out.
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer(encoded.size());
        payload.writeBytes(encoded.payload().duplicate());
        return payload;
    }

    private void failInFlight(int errno) {
        Hio hio;
        while ((hio = inFlight.removeAny()) != null) {
            hio.remoteError = errno;
            done.accept(hio);
        }
    }

    @Override
    public void close() {
        closed = true;
        Hio left;
        while ((left = queue.poll()) != null) {
            left.remoteError = ESHUTDOWN;
            done.accept(left);
        }
        queue.offer(STOP);
        try {
            sender.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        link = null;
        failInFlight(ESHUTDOWN);
    }
}
