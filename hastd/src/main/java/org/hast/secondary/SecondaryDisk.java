package org.hast.secondary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.CodecException;
import org.hast.codec.Compression;
import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.integrity.BlockHashes;
import org.hast.daemon.process.FatalThreads;
import org.hast.meta.MetadataCodec;
import org.hast.nv.NvWriter;
import org.hast.proto.PayloadFields;
import org.hast.proto.ReplyHeader;
import org.hast.sys.ErrnoException;
import org.hast.local.FlushCadence;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;

/**
 * The secondary's disk threads (spec §11.7): {@link #APPLIERS} threads apply requests at
 * {@code localoff + offset} in parallel, leaving the disk as the reference's single disk thread
 * would (see {@link ApplyOrder}), and hand the replies to the event loop in batches. Each thread
 * takes the next request and its admission under one lock, so admission follows arrival order;
 * each has its own decode buffer and its own {@link PayloadCodec}, which keeps its result and
 * digest state between calls (shared, two appliers encoding at once sent one read's data under
 * the other's {@code size}, and the primary lost the frame boundary). The {@link DiskQueue} in front is the back-pressure. Only
 * these threads wait for the disk: the loop keeps reading, and writing replies, meanwhile.
 */
final class SecondaryDisk implements Runnable {
    /**
     * Requests applied at once; the system property {@code hast.secondary.appliers} (1..16)
     * overrides it for an A/B run (bench/secondary-apply.sh). The DiskFaultIT failure once seen
     * with several (a READ reply's {@code size} from another read, then a lost frame boundary) was
     * the payload codec shared by the appliers, which now have one each ({@code ParallelRepliesTest}).
     */
    static final int APPLIERS = Math.max(1, Math.min(16, Integer.getInteger("hast.secondary.appliers", 1)));
    private static final Logger LOG = LoggerFactory.getLogger(SecondaryDisk.class);
    private static final int EIO = 5;
    /** Linux's number; {@link ReplyHeader} sends FreeBSD's (45). */
    private static final int EOPNOTSUPP = 95;

    private final DiskQueue queue;
    private final LocalComponent local;
    private final long localOffset;
    private final long bitmapBytes;
    /** A new codec per applier, configured as the resource's. */
    private final Supplier<PayloadCodec> codecs;
    private final WorkerStats stats;
    private final Channel out;
    private final int frameVersion;
    /** Each replying thread's nv writer for replies without payload, cleared and reused per reply. */
    private static final ThreadLocal<NvWriter> REPLY_NV = ThreadLocal.withInitial(() -> new NvWriter(96));
    private final Runnable onFatal;
    private final int maxRequestBytes;
    private final ApplyOrder order;
    /** Guarded by itself; set by {@link #run()}. */
    private final Thread[] appliers;
    /**
     * Taking a request and admitting it are one step, so requests are admitted in arrival order.
     * A lock rather than a monitor: an applier waiting for it can be interrupted (and, in the
     * thread-death test, stopped), which a thread blocked entering a monitor cannot.
     */
    private final ReentrantLock dispatch = new ReentrantLock();
    private final ReplyBatch replies;
    /** Whether the primary flushes after each few writes, whose pages are then written back at once. */
    private final FlushCadence cadence = new FlushCadence();
    /** Guarded by {@link #dispatch}. */
    private boolean bitmapCleared;
    private volatile Runnable afterBitmapCleared;
    private static final ByteBuffer NO_SCRATCH = ByteBuffer.allocate(0);
    private static final ByteBufAllocator READ_BUFFERS = PooledByteBufAllocator.DEFAULT;
    /** Tests: runs on this thread before each request is applied (a disk that stalls). */
    private volatile Consumer<SecondaryRequest> beforeApply = request -> { };
    /** Set when the primary negotiated {@code HIO_HASH} (docs/integrity.md). */
    private volatile boolean hashes;

    SecondaryDisk(DiskQueue queue, LocalComponent local, long localOffset, Supplier<PayloadCodec> codecs,
                  WorkerStats stats,
                  Channel out, int frameVersion, int maxRequestBytes, Runnable onFatal) {
        this(queue, local, localOffset, codecs, stats, out, frameVersion, maxRequestBytes, onFatal, APPLIERS);
    }

    /** With {@code applierCount} appliers (tests of the ordering run several). */
    SecondaryDisk(DiskQueue queue, LocalComponent local, long localOffset, Supplier<PayloadCodec> codecs,
                  WorkerStats stats,
                  Channel out, int frameVersion, int maxRequestBytes, Runnable onFatal, int applierCount) {
        this.order = new ApplyOrder(applierCount);
        this.appliers = new Thread[applierCount];
        this.queue = queue;
        this.local = local;
        this.localOffset = localOffset;
        this.bitmapBytes = localOffset - MetadataCodec.METADATA_SIZE;
        this.codecs = codecs;
        this.stats = stats;
        this.out = out;
        this.frameVersion = frameVersion;
        this.onFatal = onFatal;
        this.maxRequestBytes = maxRequestBytes;
        this.replies = new ReplyBatch(out, cause -> {
            LOG.error("Unable to send reply: {}.", IoErrors.describe(cause));
            onFatal.run();
        });
    }

    /** Tests: the admission of requests to the appliers. */
    ApplyOrder order() {
        return order;
    }

    /** The primary may send {@code HIO_HASH}: before the disk thread starts. */
    void enableHashes() {
        hashes = true;
    }

    void setBeforeApply(Consumer<SecondaryRequest> hook) {
        this.beforeApply = hook;
    }

    /** Runs one applier on this thread and the others on their own, until {@link #stop()}. */
    @Override
    public void run() {
        synchronized (appliers) {
            appliers[0] = Thread.currentThread();
            for (int i = 1; i < appliers.length; i++) {
                appliers[i] = FatalThreads.start(Thread.currentThread().getName() + "-" + i, this::applyLoop);
            }
        }
        try {
            applyLoop();
        } finally {
            stop();
        }
    }

    /**
     * Ends every applier. Each must be interrupted: one waiting for the next request holds the
     * dispatch lock, and the others wait for it.
     */
    void stop() {
        synchronized (appliers) {
            for (Thread applier : appliers) {
                if (applier != null) {
                    applier.interrupt();
                }
            }
        }
    }

    private void applyLoop() {
        ByteBuffer decodeBuffer = ByteBuffer.allocateDirect(maxRequestBytes);
        PayloadCodec codec = codecs.get();
        PayloadViews views = new PayloadViews();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                SecondaryRequest request;
                int slot;
                dispatch.lockInterruptibly();
                try {
                    request = queue.take();
                    try {
                        if (request.error() == 0) {
                            clearBitmapOnce();
                        }
                        slot = order.admit(kindOf(request), request.offset(), request.length());
                    } catch (InterruptedException e) {
                        request.release();
                        throw e;
                    }
                } finally {
                    dispatch.unlock();
                }
                try {
                    beforeApply.accept(request);
                    apply(request, codec, decodeBuffer, views);
                } finally {
                    request.release();
                    order.finish(slot);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ApplyOrder.Kind kindOf(SecondaryRequest request) {
        if (request.error() != 0) {
            return ApplyOrder.Kind.NONE;
        }
        return switch (request.cmd()) {
            // A hash must see every earlier write, as a read does.
            case READ, HASH -> ApplyOrder.Kind.READ;
            case WRITE, DELETE -> ApplyOrder.Kind.WRITE;
            case FLUSH -> ApplyOrder.Kind.BARRIER;
            default -> ApplyOrder.Kind.NONE;
        };
    }

    /**
     * Applies one request with {@code codec}, {@code decodeBuffer} and {@code views} (the calling
     * thread's) and queues its reply; the activemap must already be cleared. Package-private for
     * tests, which call it on their own thread.
     */
    void apply(SecondaryRequest request, PayloadCodec codec, ByteBuffer decodeBuffer, PayloadViews views) {
        boolean wrote = applyAndQueueReply(request, codec, decodeBuffer, views);
        replies.flush();
        if (wrote && cadence.written()) {
            // After the reply, off its path: the FLUSH that follows finds the page written.
            local.startWriteBack(localOffset + request.offset(), request.length());
        }
    }

    /**
     * {@link #apply} with its reply queued, for the next {@link ReplyBatch#flush}; true when it
     * wrote data to the disk.
     */
    private boolean applyAndQueueReply(SecondaryRequest request, PayloadCodec codec, ByteBuffer decodeBuffer,
                                       PayloadViews views) {
        long seq = request.seq();
        if (request.error() != 0) {
            reply(ReplyHeader.failed(seq, request.error()));
            return false;
        }
        long offset = request.offset();
        long length = request.length();
        switch (request.cmd()) {
            case READ -> read(seq, offset, (int) length, codec, views);
            case WRITE -> {
                return write(request, seq, offset, (int) length, codec, decodeBuffer, views);
            }
            case DELETE -> {
                try {
                    local.discard(localOffset + offset, length);
                    replyDone(seq);
                } catch (IOException e) {
                    LOG.error("Request failed: DELETE({}, {}): {}.", offset, length, e.getMessage());
                    stats.deleteError.increment();
                    // The errno itself, as the reference sends it (ReplyHeader puts FreeBSD's number on the wire).
                    reply(ReplyHeader.failed(seq, e instanceof ErrnoException failed ? failed.errno() : EIO));
                }
            }
            case FLUSH -> {
                cadence.flushed();
                try {
                    boolean flushed = local.flush();
                    // The reference's secondary answers the latched case with EOPNOTSUPP, silently.
                    reply(flushed ? ReplyHeader.done(seq) : ReplyHeader.failed(seq, EOPNOTSUPP));
                } catch (IOException e) {
                    LOG.error("Request failed: FLUSH: {}.", e.getMessage());
                    stats.flushError.increment();
                    reply(ReplyHeader.failed(seq, EIO));
                }
            }
            case HASH -> {
                if (!hashes) {
                    reply(ReplyHeader.failed(seq, 22));
                } else {
                    hash(seq, offset, (int) length, decodeBuffer);
                }
            }
            default -> reply(ReplyHeader.failed(seq, 22));
        }
        return false;
    }

    /** Runs on a disk thread once the cleared bitmap is written (set before the first request). */
    void afterBitmapCleared(Runnable then) {
        this.afterBitmapCleared = then;
    }

    /**
     * The bitmap this node kept as primary has been merged by the new primary by the time a
     * request arrives (spec §7.6): zero it, A5-sized. A failure is retried on the next request.
     */
    private void clearBitmapOnce() {
        if (bitmapCleared) {
            return;
        }
        try {
            local.writeFully(ByteBuffer.allocate((int) bitmapBytes), MetadataCodec.METADATA_SIZE);
            bitmapCleared = true;
            Runnable then = afterBitmapCleared;
            if (then != null) {
                then.run();
            }
        } catch (IOException e) {
            LOG.error("Unable to store cleared activemap: {}.", e.getMessage());
            stats.writeError.increment();
        }
    }

    /** True when the data was written. */
    private boolean write(SecondaryRequest request, long seq, long offset, int length, PayloadCodec codec,
                          ByteBuffer decodeBuffer, PayloadViews views) {
        ByteBuffer data;
        try {
            PayloadFields fields = request.payloadFields();
            if (fields == null) {
                data = views.of(request.payload());
            } else {
                decodeBuffer.clear();
                data = codec.decode(fields.compression(), fields.checksum(), fields.hash(),
                        views.of(request.payload()), decodeBuffer);
            }
        } catch (CodecException e) {
            // A29: a malformed payload is a protocol error: this connection ends, the worker with it.
            LOG.error("Unable to receive request data: {}", e.getMessage());
            onFatal.run();
            return false;
        }
        if (data.remaining() != length) {
            LOG.error("Request data of {} bytes does not match its length {}.", data.remaining(), length);
            onFatal.run();
            return false;
        }
        try {
            local.writeFully(data, localOffset + offset);
            replyDone(seq);
            return true;
        } catch (IOException e) {
            LOG.error("Request failed: WRITE({}, {}): {}.", offset, length, e.getMessage());
            stats.writeError.increment();
            reply(ReplyHeader.failed(seq, EIO));
            return false;
        }
    }

    /** {@code HIO_HASH}: the digests of the range's blocks travel, not the data. */
    private void hash(long seq, long offset, int length, ByteBuffer decodeBuffer) {
        try {
            ByteBuffer data = decodeBuffer.clear().limit(length);
            local.readFully(data, localOffset + offset);
            data.flip();
            // Synchronisation and verify only, a step of up to 128 KiB at a time: a digest and a
            // small buffer per step cost nothing beside the read.
            ByteBuffer digests = ByteBuffer.allocate(BlockHashes.digestBytes(length));
            new BlockHashes().hash(data, digests);
            digests.flip();
            ByteBuf payload = out.alloc().buffer(digests.remaining());
            payload.writeBytes(digests);
            replies.queue(frameVersion, ReplyHeader.writeDone(REPLY_NV.get().clear(), seq)
                    .addUint32(PayloadFields.FIELD_SIZE, payload.readableBytes()), payload);
        } catch (IOException e) {
            LOG.error("Request failed: HASH({}, {}): {}.", offset, length, e.getMessage());
            stats.readError.increment();
            reply(ReplyHeader.failed(seq, EIO));
        }
    }

    private void read(long seq, long offset, int length, PayloadCodec codec, PayloadViews views) {
        // The pooled allocator's buffers lie in a few chunks, whose views are kept (the channel's
        // adaptive allocator made a view object per use).
        ByteBuf data = READ_BUFFERS.directBuffer(length, length);
        // Compressed replies need room to compress into; uncompressed ones send the data itself.
        ByteBuf scratch = codec.compression() == Compression.NONE ? null : READ_BUFFERS.directBuffer(length, length);
        try {
            // Both buffers are this thread's alone until queued.
            local.readFully(views.ofOwn(data, 0, length), localOffset + offset);
            data.writerIndex(length);
            // From the second set of views: the data's is read by the encoder meanwhile.
            ByteBuffer scratchView = scratch == null ? NO_SCRATCH : views.beside().ofOwn(scratch, 0, length);
            EncodedPayload encoded = codec.encode(views.ofOwn(data, 0, length), scratchView);
            ByteBuf payload;
            if (encoded.compressionName() != null && scratch != null) {
                scratch.writerIndex(encoded.size());
                payload = scratch;
                scratch = null;
            } else {
                payload = data;
                data = null;
            }
            NvWriter nv = ReplyHeader.writeDone(REPLY_NV.get().clear(), seq);
            if (encoded.compression() == Compression.NONE && encoded.checksum() == ChecksumAlgorithm.NONE) {
                nv.addUint32(PayloadFields.FIELD_SIZE, encoded.size()); // PayloadFields.append without its field sink
            } else {
                PayloadFields.append(nv, encoded);
            }
            replies.queue(frameVersion, nv, payload);
        } catch (IOException e) {
            LOG.error("Request failed: READ({}, {}): {}.", offset, length, e.getMessage());
            stats.readError.increment();
            reply(ReplyHeader.failed(seq, EIO));
        } finally {
            if (data != null) {
                data.release();
            }
            if (scratch != null) {
                scratch.release();
            }
        }
    }

    /** The reply of a request that succeeded without data, encoded with no object but its buffer. */
    private void replyDone(long seq) {
        replies.queueHeader(frameVersion, ReplyHeader.writeDone(REPLY_NV.get().clear(), seq));
    }

    /** A reply without payload (a FLUSH's, an error), encoded at once with this thread's writer. */
    private void reply(ReplyHeader header) {
        replies.queueHeader(frameVersion, header.writeTo(REPLY_NV.get().clear()));
    }
}
