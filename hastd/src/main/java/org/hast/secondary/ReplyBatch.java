package org.hast.secondary;

import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrameEncoder;
import org.hast.nv.NvWriter;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.internal.PlatformDependent;

/**
 * The replies of the applier threads, gathered for the event loop: one loop task writes every
 * reply queued by the time it runs and flushes once, instead of one task, one promise and one
 * {@code write(2)} per reply. An applier queues a reply ({@link #queueHeader}, {@link #queue})
 * and then has the loop send what is queued ({@link #flush}).
 *
 * <p>Nothing is allocated per reply (issue #15): each header is encoded at once into a pooled
 * buffer, a reply with payload travels in a recycled {@link Framed}, and every write takes the
 * channel's void promise. A failed write or flush then reaches the channel's pipeline, where
 * {@link SendFailures} (added by the constructor, the pipeline's last handler) reports it once.
 */
final class ReplyBatch {
    /** Replies with payload in flight at once, beyond which a {@link Framed} is made anew. */
    private static final int FRAMED = 64;

    /** Array-backed multi-producer queue: header {@link ByteBuf}s and {@link Framed}s. */
    private final Queue<Object> pending = PlatformDependent.newMpscQueue();
    private final Queue<Framed> freeFramed = PlatformDependent.newFixedMpmcQueue(FRAMED);
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Channel out;
    private final Runnable writeAll = this::writeAll;

    /** A reply's encoded header and its payload, which must leave one after the other. */
    private static final class Framed {
        ByteBuf header;
        ByteBuf payload;
    }

    /**
     * @param onFailure runs (on the loop) with the cause of the first failed write on {@code out}
     */
    ReplyBatch(Channel out, Consumer<Throwable> onFailure) {
        this.out = out;
        out.pipeline().addLast(new SendFailures(onFailure));
    }

    /**
     * Any thread: a reply without payload, its header encoded now into a buffer of the channel's
     * allocator, so that the caller can clear and reuse {@code nv} at once (no nv writer, no
     * array per reply).
     */
    void sendHeader(int version, NvWriter nv) {
        queueHeader(version, nv);
        flush();
    }

    /** {@link #sendHeader} without {@link #flush}. */
    void queueHeader(int version, NvWriter nv) {
        pending.offer(HastFrameEncoder.encodeHeader(out.alloc(), version, nv));
    }

    /**
     * Any thread: queues a reply with {@code payload} (whose reference passes here; {@code nv}
     * announces its size) for the next {@link #flush}; {@code nv} is free again on return.
     */
    void queue(int version, NvWriter nv, ByteBuf payload) {
        ByteBuf header;
        try {
            header = HastFrameEncoder.encodeHeader(out.alloc(), version, nv);
        } catch (RuntimeException | Error e) {
            payload.release();
            throw e;
        }
        Framed framed = freeFramed.poll();
        if (framed == null) {
            framed = new Framed();
        }
        framed.header = header;
        framed.payload = payload;
        pending.offer(framed);
    }

    /** Any thread: has the loop send every reply queued so far, unless a send is already due. */
    void flush() {
        if (!pending.isEmpty() && scheduled.compareAndSet(false, true)) {
            try {
                out.eventLoop().execute(writeAll);
            } catch (RejectedExecutionException e) {
                // The loop has ended with the worker: nobody will send these.
                releaseAll();
            }
        }
    }

    private void writeAll() {
        // Cleared first: a reply queued from here on schedules the next batch.
        scheduled.set(false);
        Object reply = pending.poll();
        if (reply == null) {
            return;
        }
        do {
            if (reply instanceof Framed framed) {
                out.write(framed.header, out.voidPromise());
                out.write(framed.payload, out.voidPromise());
                recycle(framed);
            } else {
                out.write(reply, out.voidPromise());
            }
        } while ((reply = pending.poll()) != null);
        out.flush();
    }

    private void recycle(Framed framed) {
        framed.header = null;
        framed.payload = null;
        freeFramed.offer(framed);
    }

    private void releaseAll() {
        Object reply;
        while ((reply = pending.poll()) != null) {
            if (reply instanceof Framed framed) {
                framed.header.release();
                framed.payload.release();
                recycle(framed);
            } else {
                ((ByteBuf) reply).release();
            }
        }
    }

    /** The end of the reply channel's pipeline: the first failed write fails the link, once. */
    private static final class SendFailures extends ChannelInboundHandlerAdapter {
        private final Consumer<Throwable> onFailure;
        private boolean failed;

        SendFailures(Consumer<Throwable> onFailure) {
            this.onFailure = onFailure;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (LoopErrors.passedOn(ctx, cause) || failed) {
                return;
            }
            failed = true;
            onFailure.accept(cause);
        }
    }
}
