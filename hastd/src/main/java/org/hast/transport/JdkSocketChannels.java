package org.hast.transport;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * The two things the JDK's NIO sockets do not offer as API and the hand-over of replication
 * connections needs (decisions §5): a {@link SocketChannel} over a descriptor received from
 * another process, and the descriptor under a channel. Both go through {@code sun.nio.ch}:
 * <ul>
 * <li>{@code SocketChannelImpl(SelectorProvider, ProtocolFamily, FileDescriptor, SocketAddress)},
 *     the constructor the JDK itself uses for an accepted socket, with
 *     {@code IOUtil.newFD(int)} and the peer's address from {@code Net.remoteAddress};</li>
 * <li>{@code SelChImpl.getFDVal()}, which every JDK selectable channel implements.</li>
 * </ul>
 * That needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} on the java command line
 * (bin/hastd, the packaged launchers and the worker's command line carry it). Without it the
 * first use fails with one line that says so. Why this and not the alternatives:
 * {@code System.inheritedChannel()} adopts only descriptor 0, once per JVM; jnr-enxio's native
 * channels belong to their own {@code SelectorProvider}, which Netty's NIO loop cannot select
 * on together with the JDK's; a blocking stream pair over the descriptor would need a thread
 * per connection and copies on the replication path.
 */
final class JdkSocketChannels {
    static final String OPENS_FLAG = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";

    private JdkSocketChannels() {
    }

    /** The reflective handles, resolved on first use; {@link #FAILURE} says why they are missing. */
    private static final class Access {
        static final Constructor<?> CHANNEL;
        static final Method NEW_FD;
        static final Method REMOTE_ADDRESS;
        static final Method FD_VAL;
        static final String FAILURE;

        static {
            Constructor<?> channel = null;
            Method newFd = null;
            Method remote = null;
            Method fdVal = null;
            String failure = null;
            try {
                Class<?> impl = Class.forName("sun.nio.ch.SocketChannelImpl");
                channel = impl.getDeclaredConstructor(SelectorProvider.class, ProtocolFamily.class,
                        FileDescriptor.class, SocketAddress.class);
                channel.setAccessible(true);
                newFd = Class.forName("sun.nio.ch.IOUtil").getDeclaredMethod("newFD", int.class);
                newFd.setAccessible(true);
                remote = Class.forName("sun.nio.ch.Net").getDeclaredMethod("remoteAddress", FileDescriptor.class);
                remote.setAccessible(true);
                fdVal = Class.forName("sun.nio.ch.SelChImpl").getDeclaredMethod("getFDVal");
                fdVal.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                failure = "The NIO transport needs " + OPENS_FLAG + " on the java command line (" + e + ")";
            }
            CHANNEL = channel;
            NEW_FD = newFd;
            REMOTE_ADDRESS = remote;
            FD_VAL = fdVal;
            FAILURE = failure;
        }

        static void check() {
            if (FAILURE != null) {
                throw new IllegalStateException(FAILURE);
            }
        }
    }

    /** A connected {@link SocketChannel} owning {@code fd} (a connected TCP socket). */
    static SocketChannel fromDescriptor(int fd, boolean inet6) throws IOException {
        Access.check();
        try {
            FileDescriptor descriptor = (FileDescriptor) Access.NEW_FD.invoke(null, fd);
            SocketAddress remote = (SocketAddress) Access.REMOTE_ADDRESS.invoke(null, descriptor);
            ProtocolFamily family = inet6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
            return (SocketChannel) Access.CHANNEL.newInstance(SelectorProvider.provider(), family, descriptor, remote);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("Unable to wrap descriptor " + fd + ": " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Unable to wrap descriptor " + fd + ": " + e, e);
        }
    }

    /** The descriptor number under a JDK selectable channel. */
    static int descriptor(SelectableChannel channel) {
        Access.check();
        try {
            return (Integer) Access.FD_VAL.invoke(channel);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Unable to read the descriptor of " + channel + ": " + e, e);
        }
    }
}
