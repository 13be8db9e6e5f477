package org.hast.primary;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.hast.daemon.process.LoopErrors;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of the outgoing connection once the link is up. Requests are written with
 * the channel's void promise (no promise object per request), so a failed write arrives here
 * as an exception instead: the first one is logged and closes the connection, whose close
 * listener fails every request in flight; the failures of the writes queued behind it are
 * dropped quietly.
 */
@ChannelHandler.Sharable
final class WriteFailureCloser extends ChannelInboundHandlerAdapter {
    static final WriteFailureCloser INSTANCE = new WriteFailureCloser();
    private static final Logger LOG = LoggerFactory.getLogger(WriteFailureCloser.class);

    private WriteFailureCloser() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        if (ctx.channel().isActive()) {
            LOG.warn("Unable to send to the secondary: {}.", IoErrors.describe(cause));
            ctx.close();
        }
    }
}
