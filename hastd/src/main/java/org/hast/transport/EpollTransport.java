package org.hast.transport;

import java.net.SocketAddress;

import io.netty.channel.ChannelFuture;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannel;

/**
 * Netty's epoll transport (Linux). A descriptor becomes a channel through the public
 * {@code EpollSocketChannel(int fd)}, and a channel's descriptor is {@code fd().intValue()};
 * closing a channel is {@code close(2)} alone, after Netty took the socket out of its epoll set.
 */
final class EpollTransport implements Transport {
    static final String NAME = "epoll";
    /** setsockopt(IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26), Linux's numbers. */
    private static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    @Override
    public ServerSocketChannel newServerSocketChannel(SocketProtocolFamily family) {
        EpollServerSocketChannel channel = new EpollServerSocketChannel(family);
        if (family == SocketProtocolFamily.INET6) {
            channel.config().setOption(IPV6_V6ONLY, 1);
        }
        return channel;
    }

    @Override
    public SocketChannel newSocketChannel() {
        return new EpollSocketChannel();
    }

    @Override
    public ServerChannel newServerDomainSocketChannel() {
        return new EpollServerDomainSocketChannel();
    }

    @Override
    public SocketAddress unixAddress(String path) {
        return new DomainSocketAddress(path);
    }

    @Override
    public SocketChannel adopt(int fd, boolean inet6) {
        return new EpollSocketChannel(fd);
    }

    @Override
    public int descriptor(SocketChannel channel) {
        if (!(channel instanceof UnixChannel unix)) {
            throw new IllegalArgumentException("Not a channel of the epoll transport: " + channel.getClass().getName());
        }
        return unix.fd().intValue();
    }

    @Override
    public ChannelFuture release(SocketChannel channel) {
        return channel.close();
    }
}
