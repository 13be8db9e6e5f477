package org.hast.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;

import org.hast.sys.SocketDescriptors;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * Netty's NIO transport over the JDK's selector (kqueue on FreeBSD, epoll on Linux): what hastd
 * uses where Netty has no native transport. Descriptors cross through {@link JdkSocketChannels}.
 *
 * <p>Releasing a handed-over connection needs care here: the JDK's {@code close()} of a socket
 * channel that is still registered with a selector shuts the connection down for writing
 * ({@code shutdown(SHUT_WR)}, unless {@code SO_LINGER} is 0), which would send a FIN on the
 * connection the worker now serves. So the channel is first deregistered, and closed only once
 * the selector has dropped its key; the close is then {@code close(2)} alone.
 */
final class NioTransport implements Transport {
    static final String NAME = "nio";
    /** How long to wait for the selector to drop a deregistered channel (it does at its next select). */
    private static final int RELEASE_POLLS = 2000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return NioIoHandler.newFactory();
    }

    @Override
    public ServerSocketChannel newServerSocketChannel(SocketProtocolFamily family) {
        NioServerSocketChannel channel = new NioServerSocketChannel(SelectorProvider.provider(), family);
        if (family == SocketProtocolFamily.INET6) {
            // The JDK clears IPV6_V6ONLY on every IPv6 socket it opens, even on FreeBSD, and has
            // no option to set it back: do it on the descriptor before bind.
            try {
                SocketDescriptors.setIpv6Only(JdkSocketChannels.descriptor(javaChannel(channel)));
            } catch (IOException e) {
                channel.unsafe().closeForcibly();
                throw new UncheckedIOException(e);
            }
        }
        return channel;
    }

    @Override
    public SocketChannel newSocketChannel() {
        return new NioSocketChannel();
    }

    @Override
    public ServerChannel newServerDomainSocketChannel() {
        return new NioServerDomainSocketChannel();
    }

    @Override
    public SocketAddress unixAddress(String path) {
        return UnixDomainSocketAddress.of(path);
    }

    @Override
    public SocketChannel adopt(int fd, boolean inet6) throws IOException {
        return new NioSocketChannel(JdkSocketChannels.fromDescriptor(fd, inet6));
    }

    @Override
    public int descriptor(SocketChannel channel) {
        return JdkSocketChannels.descriptor(javaChannel(channel));
    }

    @Override
    public ChannelFuture release(SocketChannel channel) {
        ChannelPromise closed = channel.newPromise();
        EventLoop loop = channel.eventLoop();
        SelectableChannel jdk = javaChannel(channel);
        channel.deregister().addListener(done -> closeWhenUnregistered(channel, jdk, loop, closed, 0));
        return closed;
    }

    private static void closeWhenUnregistered(SocketChannel channel, SelectableChannel jdk, EventLoop loop,
            ChannelPromise closed, int polls) {
        if (jdk.isRegistered() && polls < RELEASE_POLLS) {
            loop.schedule(() -> closeWhenUnregistered(channel, jdk, loop, closed, polls + 1), 1,
                    TimeUnit.MILLISECONDS);
            return;
        }
        channel.close().addListener(done -> {
            if (done.isSuccess()) {
                closed.setSuccess();
            } else {
                closed.setFailure(done.cause());
            }
        });
    }

    /** {@code AbstractNioChannel.javaChannel()}, protected in Netty. */
    private static SelectableChannel javaChannel(io.netty.channel.Channel channel) {
        if (!(channel instanceof AbstractNioChannel)) {
            throw new IllegalArgumentException("Not a channel of the NIO transport: " + channel.getClass().getName());
        }
        try {
            return (SelectableChannel) JavaChannel.METHOD.invoke(channel);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Unable to reach the JDK channel of " + channel + ": " + e, e);
        }
    }

    private static final class JavaChannel {
        static final Method METHOD = find();

        private static Method find() {
            try {
                Method method = AbstractNioChannel.class.getDeclaredMethod("javaChannel");
                method.setAccessible(true);
                return method;
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("Netty's AbstractNioChannel has no javaChannel(): " + e, e);
            }
        }
    }
}
