package org.hast.secondary;

import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.hast.link.OutgoingFrame;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.internal.PlatformDependent;

/**
 * The replies of the applier threads, gathered for the event loop: one loop task writes every
 * reply queued by the time it runs and flushes once, instead of one task, one promise and one
 * {@code write(2)} per reply. The last write of a batch carries the failure listener: a failed
 * flush fails every write of it.
 */
final class ReplyBatch {
    /** Array-backed multi-producer queue: no node per reply. */
    private final Queue<OutgoingFrame> pending = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Channel out;
    private final ChannelFutureListener onSent;
    private final Runnable writeAll = this::writeAll;

    ReplyBatch(Channel out, ChannelFutureListener onSent) {
        this.out = out;
        this.onSent = onSent;
    }

    /** Any thread: queues the reply; the loop sends it with the others queued meanwhile. */
    void send(OutgoingFrame reply) {
        pending.offer(reply);
        if (scheduled.compareAndSet(false, true)) {
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
        OutgoingFrame reply = pending.poll();
        while (reply != null) {
            OutgoingFrame next = pending.poll();
            if (next == null) {
                out.writeAndFlush(reply).addListener(onSent);
            } else {
                out.write(reply, out.voidPromise());
            }
            reply = next;
        }
    }

    private void releaseAll() {
        OutgoingFrame reply;
        while ((reply = pending.poll()) != null) {
            reply.release();
        }
    }
}
