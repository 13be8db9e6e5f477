package org.hast.sys;

import java.io.IOException;

import org.hast.platform.host.HostPlatform;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Questions and settings for a descriptor that arrived by {@link FdPassing}, before it is given
 * to something that trusts it (Netty's epoll transport assumes a non-blocking TCP socket).
 */
public final class SocketDescriptors {
    private SocketDescriptors() {
    }

    /** The socket's address family ({@code SO_DOMAIN}), in this system's numbering. */
    public static int domain(int fd) throws IOException {
        return intOption(fd, HostPlatform.current().sockets().soDomain());
    }

    /** The socket's type ({@code SO_TYPE}), in this system's numbering. */
    public static int type(int fd) throws IOException {
        return intOption(fd, HostPlatform.current().sockets().soType());
    }

    /** An int-valued {@code SOL_SOCKET} option (this system's number), e.g. {@code SO_TYPE}. */
    public static int intOption(int fd, int option) throws IOException {
        Pointer value = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        Pointer length = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        length.putInt(0, Integer.BYTES);
        if (SocketLibC.get().getsockopt(fd, HostPlatform.current().sockets().solSocket(), option, value, length) < 0) {
            throw new IOException(SocketLibC.failure("Unable to get option " + option + " of descriptor " + fd));
        }
        return value.getInt(0);
    }

    /**
     * Makes an {@code AF_INET6} socket IPv6-only ({@code IPV6_V6ONLY} 1), as FreeBSD's sockets
     * are by default and as the default listen pair {@code tcp4://0.0.0.0} + {@code tcp6://[::]}
     * needs (spec §1.6): a dual-stack IPv6 listener would take the IPv4 port too.
     */
    public static void setIpv6Only(int fd) throws IOException {
        org.hast.platform.SocketConstants sockets = HostPlatform.current().sockets();
        Pointer value = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        value.putInt(0, 1);
        if (SocketLibC.get().setsockopt(fd, sockets.ipprotoIpv6(), sockets.ipv6V6only(), value, Integer.BYTES) < 0) {
            throw new IOException(SocketLibC.failure("Unable to make descriptor " + fd + " IPv6-only"));
        }
    }

    /**
     * Sets {@code O_NONBLOCK}. The flag belongs to the open file description, so it changes for
     * every process still holding the socket: hand-overs happen with the sender's copy closed.
     */
    public static void setNonBlocking(int fd) throws IOException {
        SocketLibC libc = SocketLibC.get();
        int flags = libc.fcntl(fd, SocketLibC.F_GETFL, 0);
        if (flags < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the flags of descriptor " + fd));
        }
        int nonBlocking = HostPlatform.current().files().nonblock();
        if ((flags & nonBlocking) == 0 && libc.fcntl(fd, SocketLibC.F_SETFL, flags | nonBlocking) < 0) {
            throw new IOException(SocketLibC.failure("Unable to make descriptor " + fd + " non-blocking"));
        }
    }

    public static boolean isNonBlocking(int fd) throws IOException {
        int flags = SocketLibC.get().fcntl(fd, SocketLibC.F_GETFL, 0);
        if (flags < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the flags of descriptor " + fd));
        }
        return (flags & HostPlatform.current().files().nonblock()) != 0;
    }

    public static boolean isCloseOnExec(int fd) throws IOException {
        int flags = SocketLibC.get().fcntl(fd, SocketLibC.F_GETFD, 0);
        if (flags < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the descriptor flags of " + fd));
        }
        return (flags & SocketLibC.FD_CLOEXEC) != 0;
    }

    /** Closes {@code fd}, for error paths where a second failure has nothing to add. */
    public static void closeQuietly(int fd) {
        SocketLibC.get().close(fd);
    }
}
