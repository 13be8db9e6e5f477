package org.hast.sys;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.Charset;
import java.nio.file.Path;

import org.hast.platform.PeerCredentialLayout;
import org.hast.platform.Platform;
import org.hast.platform.SocketConstants;
import org.hast.platform.host.HostPlatform;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * {@code SOCK_SEQPACKET} Unix sockets held as plain descriptor numbers, for the "fd channel"
 * between the main process and a worker over which {@link FdPassing} hands replication
 * connections (decisions §5).
 *
 * <p>Why not the JDK's Unix-domain {@code SocketChannel}: its descriptor number is private, and
 * reaching it needs {@code --add-opens java.base/sun.nio.ch}; it also knows no
 * {@code SOCK_SEQPACKET}, which keeps message boundaries. Why not a {@code socketpair} made
 * before the worker starts: {@code ProcessBuilder} closes every descriptor but 0, 1 and 2 in
 * the child, so the worker could not inherit its end. So the channel is set up like the
 * worker's control channel:
 * <ol>
 * <li>the main process calls {@link #listen} on a path inside its private 0700 directory
 *     (the directory's mode is what keeps other users out) and starts the worker with that
 *     path on its command line;</li>
 * <li>the worker calls {@link #connect} and keeps the returned descriptor for its life;</li>
 * <li>the main process calls {@link #accept} with a time limit, checks with {@link #peerPid}
 *     that the connection comes from the process it started, closes the listening socket and
 *     removes the path.</li>
 * </ol>
 * Every descriptor here is close-on-exec, so hook scripts never inherit one.
 *
 * <p>A thread blocked in {@link FdPassing#receiveFd} is woken by {@link #shutdown} (it then sees
 * end of file); only after it has returned may the descriptor be closed, because a number
 * closed under a blocked call can be reused by an unrelated open at once.
 */
public final class RawUnixSocket {
    /** {@code struct pollfd}: int fd at 0, short events at 4, short revents at 6. */
    private static final int POLLFD_SIZE = 8;

    private RawUnixSocket() {
    }

    /**
     * A listening socket bound to {@code path}. The path must not exist yet (a stale one gives
     * "Address already in use"): the caller owns the directory and picks unique names.
     */
    public static int listen(Path path, int backlog) throws IOException {
        SocketLibC libc = SocketLibC.get();
        byte[] pathBytes = pathBytes(path);
        Pointer address = Memory.allocateDirect(SocketLibC.runtime(), addresses().unixAddressSize(), true);
        int addressLength = addresses().unixAddress(address, pathBytes);
        // Non-blocking so that accept() after poll() cannot hang on a connection that went
        // away in between; accept4() without SOCK_NONBLOCK gives a blocking socket on both
        // Linux and FreeBSD (whose plain accept() would inherit the flag).
        int fd = newSocket(HostPlatform.current().sockets().sockNonblock());
        if (libc.bind(fd, address, addressLength) < 0) {
            String failure = SocketLibC.failure("Unable to bind Unix socket " + path);
            libc.close(fd);
            throw new IOException(failure);
        }
        if (libc.listen(fd, backlog) < 0) {
            String failure = SocketLibC.failure("Unable to listen on Unix socket " + path);
            libc.close(fd);
            throw new IOException(failure);
        }
        return fd;
    }

    /**
     * Waits up to {@code timeoutMillis} for one connection on {@code listenFd} and returns its
     * (blocking) descriptor.
     *
     * @throws SocketTimeoutException when nobody connected in time
     */
    public static int accept(int listenFd, long timeoutMillis) throws IOException {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be positive: " + timeoutMillis);
        }
        SocketLibC libc = SocketLibC.get();
        Pointer pollFd = Memory.allocateDirect(SocketLibC.runtime(), POLLFD_SIZE, true);
        long deadlineNanos = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            int fd = libc.accept4(listenFd, null, null, HostPlatform.current().sockets().sockCloexec());
            if (fd >= 0) {
                return fd;
            }
            int errno = SocketLibC.errno();
            int internal = HostPlatform.current().fromNativeErrno(errno);
            if (internal != SocketLibC.EAGAIN && internal != SocketLibC.EINTR) {
                throw new IOException("Unable to accept on Unix socket " + listenFd + ": " + libc.strerror(errno));
            }
            long leftMillis = (deadlineNanos - System.nanoTime() + 999_999) / 1_000_000;
            if (leftMillis <= 0) {
                throw new SocketTimeoutException("Nobody connected to Unix socket " + listenFd
                        + " within " + timeoutMillis + " ms");
            }
            pollFd.putInt(0, listenFd);
            pollFd.putShort(4, SocketLibC.POLLIN);
            pollFd.putShort(6, (short) 0);
            if (libc.poll(pollFd, 1, (int) Math.min(leftMillis, Integer.MAX_VALUE)) < 0
                    && SocketLibC.internalErrno() != SocketLibC.EINTR) {
                throw new IOException(SocketLibC.failure("Unable to wait on Unix socket " + listenFd));
            }
        }
    }

    /** Connects to the listening socket at {@code path}; returns a blocking descriptor. */
    public static int connect(Path path) throws IOException {
        SocketLibC libc = SocketLibC.get();
        byte[] pathBytes = pathBytes(path);
        Pointer address = Memory.allocateDirect(SocketLibC.runtime(), addresses().unixAddressSize(), true);
        int addressLength = addresses().unixAddress(address, pathBytes);
        int fd = newSocket(0);
        if (libc.connect(fd, address, addressLength) < 0) {
            String failure = SocketLibC.failure("Unable to connect to Unix socket " + path);
            libc.close(fd);
            throw new IOException(failure);
        }
        return fd;
    }

    /** Two connected ends, for a channel inside one process (and for tests). */
    public static int[] socketPair() throws IOException {
        int[] fds = new int[2];
        SocketConstants sockets = HostPlatform.current().sockets();
        if (SocketLibC.get().socketpair(sockets.afUnix(), sockets.sockSeqpacket() | sockets.sockCloexec(), 0,
                fds) < 0) {
            throw new IOException(SocketLibC.failure("Unable to create socket pair"));
        }
        return fds;
    }

    /**
     * The process id of the peer as it was when the connection was made: Linux's
     * {@code SO_PEERCRED}, FreeBSD's {@code LOCAL_PEERCRED} ({@code cr_pid} of
     * {@code struct xucred}, filled since FreeBSD 13; 0 on 12.x).
     */
    public static long peerPid(int fd) throws IOException {
        SocketLibC libc = SocketLibC.get();
        PeerCredentialLayout layout = HostPlatform.current().peerCredentials();
        Pointer credentials = Memory.allocateDirect(SocketLibC.runtime(), layout.size(), true);
        Pointer length = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        length.putInt(0, layout.size());
        if (libc.getsockopt(fd, layout.level(), layout.option(), credentials, length) < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the peer of socket " + fd));
        }
        if (layout.versionOffset() >= 0 && credentials.getInt(layout.versionOffset()) != layout.expectedVersion()) {
            throw new IOException("Unable to get the peer of socket " + fd + ": credentials of version "
                    + credentials.getInt(layout.versionOffset()) + ", expected " + layout.expectedVersion());
        }
        return credentials.getInt(layout.pidOffset());
    }

    /** Shuts both directions: wakes a thread blocked on {@code fd}, which then sees end of file. */
    public static void shutdown(int fd) throws IOException {
        if (SocketLibC.get().shutdown(fd, HostPlatform.current().sockets().shutRdwr()) < 0) {
            throw new IOException(SocketLibC.failure("Unable to shut down socket " + fd));
        }
    }

    public static void close(int fd) throws IOException {
        // No retry on EINTR: on Linux the descriptor is released even then.
        if (SocketLibC.get().close(fd) < 0) {
            throw new IOException(SocketLibC.failure("Unable to close descriptor " + fd));
        }
    }

    private static int newSocket(int extraFlags) throws IOException {
        SocketConstants sockets = HostPlatform.current().sockets();
        int fd = SocketLibC.get().socket(sockets.afUnix(),
                sockets.sockSeqpacket() | sockets.sockCloexec() | extraFlags, 0);
        if (fd < 0) {
            throw new IOException(SocketLibC.failure("Unable to create Unix socket"));
        }
        return fd;
    }

    private static MessageBlock addresses() {
        Platform platform = HostPlatform.current();
        return new MessageBlock(platform.messages(), platform.sockets());
    }

    /** The path in the encoding the JDK itself uses for file names. */
    private static byte[] pathBytes(Path path) throws IOException {
        String encoding = System.getProperty("sun.jnu.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding)
                ? Charset.forName(encoding) : Charset.defaultCharset();
        byte[] bytes = path.toString().getBytes(charset);
        int room = HostPlatform.current().sockets().sunPathBytes();
        if (bytes.length >= room) {
            throw new IOException("Unix socket path is too long (" + bytes.length + " bytes, at most "
                    + (room - 1) + "): " + path);
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw new IOException("Unix socket path contains a NUL byte: " + path);
            }
        }
        return bytes;
    }
}
