package org.hast.transport;

import java.io.IOException;
import java.net.SocketAddress;

import io.netty.channel.ChannelFuture;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;

/**
 * Netty's I/O machinery for hastd's network code, chosen once per process ({@link #current()}):
 * the epoll transport on Linux (the measured default) and the JDK's NIO selector elsewhere
 * (FreeBSD: Netty publishes no native transport for it), or wherever {@code hast.transport=nio}
 * asks for it. Everything that creates event loops or channels asks here, so that no epoll class
 * is loaded on a system that has none.
 *
 * <p>The two things NIO does not offer through an API, turning a descriptor into a channel and a
 * channel into its descriptor (the hand-over of replication connections, decisions §5), are done
 * by {@link NioTransport} through JDK internals that need
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
 */
public interface Transport {
    /** {@code epoll} or {@code nio}. */
    String name();

    IoHandlerFactory ioHandlerFactory();

    /**
     * A TCP listener of {@code family}; an {@code INET6} one is IPv6-only, as on FreeBSD, so
     * that it never takes the port of an IPv4 listener beside it (spec §1.6's default pair).
     */
    ServerSocketChannel newServerSocketChannel(SocketProtocolFamily family);

    SocketChannel newSocketChannel();

    /** A listener for Unix-socket connections, to bind at {@link #unixAddress}. */
    ServerChannel newServerDomainSocketChannel();

    /** The address {@link #newServerDomainSocketChannel()} binds for {@code path}. */
    SocketAddress unixAddress(String path);

    /**
     * Wraps a connected TCP socket descriptor (already non-blocking) as a channel of this
     * transport, to register on one of its event loops. The channel owns {@code fd} from then on.
     *
     * @param inet6 whether the socket is {@code AF_INET6}
     */
    SocketChannel adopt(int fd, boolean inet6) throws IOException;

    /** The descriptor under {@code channel}, one of this transport's. */
    int descriptor(SocketChannel channel);

    /**
     * Closes this process's copy of a connection whose descriptor another process now holds,
     * without ending the connection: only {@code close(2)}, no {@code shutdown(2)}, and never
     * leaving the socket in this process's selector. Call on the channel's event loop.
     */
    ChannelFuture release(SocketChannel channel);

    /** The transport of this process (see {@link TransportChoice}). */
    static Transport current() {
        return TransportChoice.CURRENT;
    }
}
