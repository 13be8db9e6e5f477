package org.hast.daemon.net;

import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import org.hast.transport.Transport;

/**
 * The main process's listener in miniature: a transport's TCP listener on 127.0.0.1, an ephemeral port, and
 * accepted connections left unread (auto-read off) until someone takes them from the queue.
 */
public final class AcceptingServer implements AutoCloseable {
    private final Channel server;
    private final BlockingQueue<SocketChannel> accepted = new LinkedBlockingQueue<>();

    public AcceptingServer(EventLoopGroup group) throws InterruptedException {
        this(Transport.current(), group);
    }

    AcceptingServer(Transport transport, EventLoopGroup group) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> transport.newServerSocketChannel(SocketProtocolFamily.INET))
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.add((SocketChannel) ctx.channel());
                    }

                    @Override
                    public boolean isSharable() {
                        return true;
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public SocketChannel next() throws InterruptedException {
        SocketChannel channel = accepted.poll(10, TimeUnit.SECONDS);
        if (channel == null) {
            throw new AssertionError("no connection accepted within 10 s");
        }
        return channel;
    }

    @Override
    public void close() throws InterruptedException {
        server.close().sync();
    }
}
