package org.hast.link;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.hast.sys.SocketDescriptors;
import org.hast.sys.SocketLibC;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;

/**
 * The receiving half of a hand-over (decisions §5): a worker turns a TCP socket descriptor it
 * got from {@link org.hast.sys.FdPassing#receiveFd} into a Netty channel with
 * {@code new EpollSocketChannel(int fd)}, which wraps the descriptor as is (no new socket, no
 * connect) and finds it active because {@code SO_ERROR} is 0. Registering it on an epoll event
 * loop fires {@code channelActive} and, with auto-read on, starts reading.
 *
 * <p>The constructor is reached through a method handle on the public class, not named in the
 * code: Netty's BOM puts {@code netty-transport-native-epoll:linux-x86_64} in runtime scope, so
 * the epoll classes are not on hastd's compile class path (hastd/pom.xml would need
 * {@code netty-transport-classes-epoll} as a compile dependency to call it directly). No
 * {@code --add-opens} is involved: the constructor is public API.
 */
public final class AdoptedSocket {
    private static final String EPOLL_SOCKET_CHANNEL = "io.netty.channel.epoll.EpollSocketChannel";

    private AdoptedSocket() {
    }

    /** {@code EpollSocketChannel(int fd)}, looked up on first use. */
    private static final class Constructor {
        static final MethodHandle FROM_FD = find();

        private static MethodHandle find() {
            try {
                Class<?> type = Class.forName(EPOLL_SOCKET_CHANNEL, true, AdoptedSocket.class.getClassLoader());
                return MethodHandles.publicLookup().findConstructor(type, MethodType.methodType(void.class, int.class))
                        .asType(MethodType.methodType(SocketChannel.class, int.class));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Netty's epoll transport is missing: " + e, e);
            }
        }
    }

    private static SocketChannel newEpollSocketChannel(int fd) {
        try {
            return (SocketChannel) Constructor.FROM_FD.invokeExact(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Wraps {@code fd} as an {@code EpollSocketChannel} and registers it on {@code group} (an
     * epoll group: {@code MultiThreadIoEventLoopGroup} with {@code EpollIoHandler}) with
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
        SocketChannel channel = null;
        try {
            int domain = SocketDescriptors.intOption(fd, SocketLibC.SO_DOMAIN);
            int type = SocketDescriptors.intOption(fd, SocketLibC.SO_TYPE);
            if ((domain != SocketLibC.AF_INET && domain != SocketLibC.AF_INET6) || type != SocketLibC.SOCK_STREAM) {
                throw new IOException("Descriptor " + fd + " is not a TCP socket (domain " + domain
                        + ", type " + type + ")");
            }
            SocketDescriptors.setNonBlocking(fd);
            channel = newEpollSocketChannel(fd);
        } finally {
            if (channel == null) {
                // Whatever went wrong (even the epoll library failing to load), fd is ours to close.
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
        // is of the wrong kind (NIO): the descriptor must not outlive the failure either way.
        registered.addListener(done -> {
            if (!done.isSuccess() && adopted.isOpen()) {
                adopted.unsafe().closeForcibly();
            }
        });
        return registered;
    }
}
