package org.hast.primary;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * On the outgoing connection: once the socket has taken what Netty held and the channel is
 * writable again, the requests {@link RemoteIo} kept back meanwhile go out.
 */
final class SendResume extends ChannelInboundHandlerAdapter {
    private final RemoteIo remote;

    SendResume(RemoteIo remote) {
        this.remote = remote;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            remote.scheduleDrain();
        }
        ctx.fireChannelWritabilityChanged();
    }
}
