package org.hast.primary;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.daemon.net.HastFrame;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Hands a connection's frames to a thread that waits for them, as the handshake does (spec
 * §4.3); a closed or failed connection wakes the waiter with an error.
 */
final class FrameInbox extends ChannelInboundHandlerAdapter {
    private static final Object CLOSED = new Object();

    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private volatile Throwable failure;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        frames.add(message);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        frames.add(CLOSED);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
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
            throw new IOException("Timed out waiting for the peer (" + timeoutSeconds + " s)");
        }
        if (next == CLOSED) {
            throw new IOException(failure != null ? failure.getMessage() : "Connection closed by the peer");
        }
        return (HastFrame) next;
    }
}
