package org.hast.sys;

import java.io.IOException;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Questions and settings for a descriptor that arrived by {@link FdPassing}, before it is given
 * to something that trusts it (Netty's epoll transport assumes a non-blocking TCP socket).
 */
public final class SocketDescriptors {
    private SocketDescriptors() {
    }

    /** An int-valued {@code SOL_SOCKET} option, e.g. {@code SO_DOMAIN} or {@code SO_TYPE}. */
    public static int intOption(int fd, int option) throws IOException {
        Pointer value = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        Pointer length = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        length.putInt(0, Integer.BYTES);
        if (SocketLibC.get().getsockopt(fd, SocketLibC.SOL_SOCKET, option, value, length) < 0) {
            throw new IOException(SocketLibC.failure("Unable to get option " + option + " of descriptor " + fd));
        }
        return value.getInt(0);
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
        if ((flags & SocketLibC.O_NONBLOCK) == 0
                && libc.fcntl(fd, SocketLibC.F_SETFL, flags | SocketLibC.O_NONBLOCK) < 0) {
            throw new IOException(SocketLibC.failure("Unable to make descriptor " + fd + " non-blocking"));
        }
    }

    public static boolean isNonBlocking(int fd) throws IOException {
        int flags = SocketLibC.get().fcntl(fd, SocketLibC.F_GETFL, 0);
        if (flags < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the flags of descriptor " + fd));
        }
        return (flags & SocketLibC.O_NONBLOCK) != 0;
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
