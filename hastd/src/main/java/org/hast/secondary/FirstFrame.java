package org.hast.secondary;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrame;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** Keeps the first frame a connection delivers for a thread that waits for it; more close it. */
final class FirstFrame extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<HastFrame> first = new CompletableFuture<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (!first.complete((HastFrame) message)) {
            ReferenceCountUtil.release(message);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        first.complete(null);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        first.complete(null);
        ctx.close();
    }

    /** The frame (the caller releases it), or null when the connection ended or time ran out. */
    HastFrame take(int timeoutSeconds) {
        try {
            return first.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }
}
