package org.hast.sys;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.Charset;
import java.nio.file.Path;

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
    /** {@code sizeof(sun_path)} on Linux, including the terminating NUL. */
    public static final int SUN_PATH_BYTES = 108;
    private static final int SOCKADDR_UN_SIZE = 2 + SUN_PATH_BYTES;
    private static final int SOCK_NONBLOCK = SocketLibC.O_NONBLOCK;
    /** {@code struct ucred}: pid at 0, uid at 4, gid at 8 (int each). */
    public static final int UCRED_SIZE = 12;
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
        Pointer address = socketAddress(pathBytes);
        // Non-blocking so that accept() after poll() cannot hang on a connection that went
        // away in between; accepted sockets do not inherit the flag on Linux.
        int fd = newSocket(SOCK_NONBLOCK);
        if (libc.bind(fd, address, addressLength(pathBytes)) < 0) {
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
            int fd = libc.accept4(listenFd, null, null, SocketLibC.SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
            int errno = SocketLibC.errno();
            if (errno != SocketLibC.EAGAIN && errno != SocketLibC.EINTR) {
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
                    && SocketLibC.errno() != SocketLibC.EINTR) {
                throw new IOException(SocketLibC.failure("Unable to wait on Unix socket " + listenFd));
            }
        }
    }

    /** Connects to the listening socket at {@code path}; returns a blocking descriptor. */
    public static int connect(Path path) throws IOException {
        SocketLibC libc = SocketLibC.get();
        byte[] pathBytes = pathBytes(path);
        Pointer address = socketAddress(pathBytes);
        int fd = newSocket(0);
        if (libc.connect(fd, address, addressLength(pathBytes)) < 0) {
            String failure = SocketLibC.failure("Unable to connect to Unix socket " + path);
            libc.close(fd);
            throw new IOException(failure);
        }
        return fd;
    }

    /** Two connected ends, for a channel inside one process (and for tests). */
    public static int[] socketPair() throws IOException {
        int[] fds = new int[2];
        if (SocketLibC.get().socketpair(SocketLibC.AF_UNIX,
                SocketLibC.SOCK_SEQPACKET | SocketLibC.SOCK_CLOEXEC, 0, fds) < 0) {
            throw new IOException(SocketLibC.failure("Unable to create socket pair"));
        }
        return fds;
    }

    /** The process id of the peer as it was when the connection was made ({@code SO_PEERCRED}). */
    public static long peerPid(int fd) throws IOException {
        SocketLibC libc = SocketLibC.get();
        Pointer credentials = Memory.allocateDirect(SocketLibC.runtime(), UCRED_SIZE, true);
        Pointer length = Memory.allocateDirect(SocketLibC.runtime(), Integer.BYTES, true);
        length.putInt(0, UCRED_SIZE);
        if (libc.getsockopt(fd, SocketLibC.SOL_SOCKET, SocketLibC.SO_PEERCRED, credentials, length) < 0) {
            throw new IOException(SocketLibC.failure("Unable to get the peer of socket " + fd));
        }
        return credentials.getInt(0);
    }

    /** Shuts both directions: wakes a thread blocked on {@code fd}, which then sees end of file. */
    public static void shutdown(int fd) throws IOException {
        if (SocketLibC.get().shutdown(fd, SocketLibC.SHUT_RDWR) < 0) {
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
        int fd = SocketLibC.get().socket(SocketLibC.AF_UNIX,
                SocketLibC.SOCK_SEQPACKET | SocketLibC.SOCK_CLOEXEC | extraFlags, 0);
        if (fd < 0) {
            throw new IOException(SocketLibC.failure("Unable to create Unix socket"));
        }
        return fd;
    }

    /** {@code struct sockaddr_un}: sa_family_t (uint16) at 0, NUL-terminated sun_path at 2. */
    private static Pointer socketAddress(byte[] bytes) {
        Pointer address = Memory.allocateDirect(SocketLibC.runtime(), SOCKADDR_UN_SIZE, true);
        address.putShort(0, (short) SocketLibC.AF_UNIX);
        address.put(2, bytes, 0, bytes.length);
        return address;
    }

    private static int addressLength(byte[] pathBytes) {
        return 2 + pathBytes.length + 1;
    }

    /** The path in the encoding the JDK itself uses for file names. */
    private static byte[] pathBytes(Path path) throws IOException {
        String encoding = System.getProperty("sun.jnu.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding)
                ? Charset.forName(encoding) : Charset.defaultCharset();
        byte[] bytes = path.toString().getBytes(charset);
        if (bytes.length >= SUN_PATH_BYTES) {
            throw new IOException("Unix socket path is too long (" + bytes.length + " bytes, at most "
                    + (SUN_PATH_BYTES - 1) + "): " + path);
        }
        for (byte b : bytes) {
            if (b == 0) {
                throw new IOException("Unix socket path contains a NUL byte: " + path);
            }
        }
        return bytes;
    }
}
