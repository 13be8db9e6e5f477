package org.hast.link;

import java.io.IOException;

import org.hast.platform.SocketConstants;
import org.hast.platform.host.HostPlatform;
import org.hast.sys.SocketDescriptors;
import org.hast.transport.Transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;

/**
 * The receiving half of a hand-over (decisions §5): a worker turns a TCP socket descriptor it
 * got from {@link org.hast.sys.FdPassing#receiveFd} into a Netty channel of its
 * {@link Transport} (epoll: {@code new EpollSocketChannel(int fd)}; NIO: a JDK socket channel
 * made over the descriptor), which wraps the descriptor as is (no new socket, no connect) and is
 * active at once. Registering it on an event loop fires {@code channelActive} and, with
 * auto-read on, starts reading.
 */
public final class AdoptedSocket {
    private AdoptedSocket() {
    }

    /**
     * Wraps {@code fd} as a channel of {@link Transport#current()} and registers it on
     * {@code group} (a group of that transport) with
     * {@code handler} (typically a {@code ChannelInitializer}) in its pipeline. From here on the
     * channel owns the descriptor.
     *
     * <p>Checked first, because Netty would trust anything: the descriptor must be an
     * {@code AF_INET}/{@code AF_INET6} stream socket. It is made non-blocking if it is not yet
     * (a socket accepted by Netty already is; one accepted by blocking Java I/O is not, and
     * would stall the event loop).
     *
     * @throws IOException when {@code fd} is not a TCP socket or cannot be inspected; {@code fd}
     *     is then closed, so the caller never has to clean up after a failure
     */
    public static ChannelFuture adopt(int fd, EventLoopGroup group, ChannelHandler handler) throws IOException {
        return adopt(Transport.current(), fd, group, handler);
    }

    /** As above, with {@code transport} rather than the process's (tests run both in one JVM). */
    public static ChannelFuture adopt(Transport transport, int fd, EventLoopGroup group, ChannelHandler handler)
            throws IOException {
        SocketChannel channel = null;
        try {
            SocketConstants sockets = HostPlatform.current().sockets();
            int domain = SocketDescriptors.domain(fd);
            int type = SocketDescriptors.type(fd);
            if ((domain != sockets.afInet() && domain != sockets.afInet6()) || type != sockets.sockStream()) {
                throw new IOException("Descriptor " + fd + " is not a TCP socket (domain " + domain
                        + ", type " + type + ")");
            }
            SocketDescriptors.setNonBlocking(fd);
            channel = transport.adopt(fd, domain == sockets.afInet6());
        } finally {
            if (channel == null) {
                // Whatever went wrong (even the transport failing to load), fd is ours to close.
                SocketDescriptors.closeQuietly(fd);
            }
        }
        SocketChannel adopted = channel;
        ChannelFuture registered;
        try {
            adopted.pipeline().addLast(handler);
            registered = group.register(adopted);
        } catch (RuntimeException e) {
            adopted.unsafe().closeForcibly();
            throw e;
        }
        // Netty closes the channel when registration fails on the loop, but not when the group
        // is of the other transport: the descriptor must not outlive the failure either way.
        registered.addListener(done -> {
            if (!done.isSuccess() && adopted.isOpen()) {
                adopted.unsafe().closeForcibly();
            }
        });
        return registered;
    }
}
