package org.hast.daemon.process;

import io.netty.channel.ChannelHandlerContext;

/**
 * For a Netty handler that closes its connection on failure: an {@link Error} is not that
 * connection's problem but the process's (a failed allocation can leave any state half-done),
 * so it goes on down the pipeline instead, to its end, where Netty reports it and that report
 * ends the process ({@link NettyCaughtErrors}, docs/failure-policy.md).
 */
public final class LoopErrors {
    private LoopErrors() {
    }

    /** True when {@code cause} was an Error and went on: the handler then leaves the channel alone. */
    public static boolean passedOn(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Error) {
            ctx.fireExceptionCaught(cause);
            return true;
        }
        return false;
    }
}
