package org.hast.primary;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrame;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Hands a connection's frames to a thread that waits for them, as the handshake does (spec
 * §4.3); a closed or failed connection wakes the waiter with an error. The handshake takes at
 * most two frames from a connection: a peer that sends more than {@link #CAPACITY} before they
 * are taken is not speaking the protocol, and the connection is closed rather than letting it
 * grow the queue. The inbox is removed once the handshake is done; frames left in it go with it.
 */
final class FrameInbox extends ChannelInboundHandlerAdapter {
    static final int CAPACITY = 4;
    private static final Object CLOSED = new Object();

    /** Frames, and the CLOSED mark (one more than the frames). */
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>(CAPACITY + 1);
    private volatile Throwable failure;
    private volatile boolean abandoned;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (abandoned) {
            ReferenceCountUtil.release(message);
            return;
        }
        if (frames.size() >= CAPACITY) {
            ReferenceCountUtil.release(message);
            failure = new IOException("The peer sent more than " + CAPACITY + " unexpected frames");
            ctx.close();
            return;
        }
        frames.add(message);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        synchronized (this) {
            // A peer that answers and closes (an errmsg, then EOF in the same read) leaves its
            // answer here when the pipeline is torn down: keep it for the waiter, who may not
            // have taken it yet. Only an inbox its owner removed from a live channel, one cut off
            // for a violation, or one whose waiter gave up drops what is left.
            if (ctx.channel().isOpen() || failure != null || abandoned) {
                drain();
            }
            frames.offer(CLOSED); // a late taker hears that nothing more comes
        }
    }

    private void drain() {
        Object left;
        while ((left = frames.poll()) != null) {
            if (left != CLOSED) {
                ReferenceCountUtil.release(left);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        frames.offer(CLOSED);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        failure = cause;
        ctx.close();
    }

    /** The next frame, waiting at most {@code timeoutSeconds}; the caller releases it. */
    HastFrame take(int timeoutSeconds) throws IOException {
        Object next;
        try {
            next = frames.poll(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (next == null) {
            synchronized (this) {
                abandoned = true; // frames that come later are nobody's: release them
                drain();
            }
            throw new IOException("Timed out waiting for the peer (" + timeoutSeconds + " s)");
        }
        if (next == CLOSED) {
            throw new IOException(failure != null ? failure.getMessage() : "Connection closed by the peer");
        }
        return (HastFrame) next;
    }
}
