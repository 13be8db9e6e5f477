package org.hast.daemon.net;

import java.net.InetSocketAddress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import org.hast.daemon.process.LoopErrors;
import org.hast.link.HastFrame;

/**
 * The first moments of an accepted replication connection (spec §3.5 steps 1–3): log it, refuse
 * unknown peers, read one header and pass it to the main process with reading stopped, so no
 * byte meant for the worker is consumed here.
 */
final class IncomingHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingHandshakeHandler.class);

    private final String listenAddress;
    private final HandshakeListener listener;
    private boolean headerSeen;

    IncomingHandshakeHandler(String listenAddress, HandshakeListener listener) {
        this.listenAddress = listenAddress;
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        LOG.info("Connection from {} to {}.", Addresses.format(peer), listenAddress);
        if (!listener.isKnownPeer(peer)) {
            LOG.warn("Client {} isn't known.", Addresses.format(peer));
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        HastFrame frame = (HastFrame) message;
        try {
            if (headerSeen) {
                // The primary waits for our answer; more bytes now are a protocol violation.
                LOG.warn("Unexpected message from {} during the handshake.", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            headerSeen = true;
            ctx.channel().config().setAutoRead(false);
            ctx.pipeline().remove("timeout");
            listener.onHeader((SocketChannel) ctx.channel(), (InetSocketAddress) ctx.channel().remoteAddress(),
                    frame.version(), frame.nv());
        } finally {
            frame.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof io.netty.channel.socket.ChannelInputShutdownEvent && !headerSeen) {
            // Half-closed before a whole header: nothing will ever come.
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        LOG.warn("Replication connection from {} dropped: {}", ctx.channel().remoteAddress(),
                cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        ctx.close();
    }
}
