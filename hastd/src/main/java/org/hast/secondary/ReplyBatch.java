package org.hast.secondary;

import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.hast.link.EncodedFrame;
import org.hast.link.HastFrameEncoder;
import org.hast.link.OutgoingFrame;
import org.hast.nv.NvWriter;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCounted;
import io.netty.util.internal.PlatformDependent;

/**
 * The replies of the applier threads, gathered for the event loop: one loop task writes every
 * reply queued by the time it runs and flushes once, instead of one task, one promise and one
 * {@code write(2)} per reply. The last write of a batch carries the failure listener: a failed
 * flush fails every write of it. An applier queues a reply ({@link #queue}) and then has the
 * loop send what is queued ({@link #flush}).
 */
final class ReplyBatch {
    /** Array-backed multi-producer queue: no node per reply. {@link OutgoingFrame}s and {@link EncodedFrame}s. */
    private final Queue<ReferenceCounted> pending = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Channel out;
    private final ChannelFutureListener onSent;
    private final Runnable writeAll = this::writeAll;

    ReplyBatch(Channel out, ChannelFutureListener onSent) {
        this.out = out;
        this.onSent = onSent;
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
        ByteBuf header = HastFrameEncoder.encodeHeader(out.alloc(), version, nv);
        pending.offer(EncodedFrame.of(header, Unpooled.EMPTY_BUFFER));
    }

    /** Any thread: queues the reply; the loop sends it with the others queued meanwhile. */
    void send(OutgoingFrame reply) {
        queue(reply);
        flush();
    }

    /** Any thread: queues the reply for the next {@link #flush} (of this thread or another). */
    void queue(OutgoingFrame reply) {
        pending.offer(reply);
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
        ReferenceCounted reply = pending.poll();
        while (reply != null) {
            ReferenceCounted next = pending.poll();
            if (next == null) {
                out.writeAndFlush(reply).addListener(onSent);
            } else {
                out.write(reply, out.voidPromise());
            }
            reply = next;
        }
    }

    private void releaseAll() {
        ReferenceCounted reply;
        while ((reply = pending.poll()) != null) {
            reply.release();
        }
    }
}
