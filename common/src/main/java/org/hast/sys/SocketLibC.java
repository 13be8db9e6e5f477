package org.hast.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;

/**
 * The libc socket calls behind {@link FdPassing} and {@link RawUnixSocket}: a binding of its own
 * so that programs which only need {@link LibC} (hastctl) never pay for generating these stubs.
 *
 * <p>Constants and the struct layouts used by the callers are those of Linux on LP64 (x86_64,
 * where they were run; aarch64 uses the same generic values). Other systems are refused when the
 * binding loads, because FreeBSD, for one, lays out {@code struct msghdr} and {@code cmsghdr}
 * differently and numbers {@code SOL_SOCKET} 0xffff.
 */
public interface SocketLibC {
    int AF_UNIX = 1;
    int AF_INET = 2;
    int AF_INET6 = 10;
    int SOCK_STREAM = 1;
    int SOCK_SEQPACKET = 5;
    int SOCK_CLOEXEC = 0x80000;

    int SOL_SOCKET = 1;
    int SO_TYPE = 3;
    int SO_PEERCRED = 17;
    int SO_DOMAIN = 39;
    int SCM_RIGHTS = 1;

    int MSG_CTRUNC = 0x8;
    int MSG_TRUNC = 0x20;
    int MSG_DONTWAIT = 0x40;
    int MSG_NOSIGNAL = 0x4000;
    int MSG_CMSG_CLOEXEC = 0x40000000;

    int SHUT_RDWR = 2;
    short POLLIN = 0x1;

    int F_GETFD = 1;
    int F_GETFL = 3;
    int F_SETFL = 4;
    int FD_CLOEXEC = 1;
    int O_NONBLOCK = 0x800;

    int EINTR = 4;
    int EAGAIN = 11;

    int socket(int domain, int type, int protocol);

    int socketpair(int domain, int type, int protocol, @Out int[] fds);

    int bind(int fd, Pointer address, int addressLength);

    int listen(int fd, int backlog);

    int accept4(int fd, Pointer address, Pointer addressLength, int flags);

    int connect(int fd, Pointer address, int addressLength);

    /** {@code nfds_t} is an unsigned long. */
    int poll(Pointer fds, long count, int timeoutMillis);

    /** Returns {@code ssize_t}, a long on LP64. */
    long sendmsg(int fd, Pointer message, int flags);

    long recvmsg(int fd, Pointer message, int flags);

    int getsockopt(int fd, int level, int option, Pointer value, Pointer valueLength);

    int shutdown(int fd, int how);

    @Variadic(fixedCount = 2)
    int fcntl(int fd, int command, int argument);

    int close(int fd);

    String strerror(int errno);

    /** Loads the binding on first use only. */
    final class Holder {
        static final SocketLibC INSTANCE = load();
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }

        private static SocketLibC load() {
            Platform platform = Platform.getNativePlatform();
            Platform.CPU cpu = platform.getCPU();
            if (platform.getOS() != Platform.OS.LINUX
                    || (cpu != Platform.CPU.X86_64 && cpu != Platform.CPU.AARCH64)) {
                throw new UnsupportedOperationException("Descriptor passing is implemented for Linux on "
                        + "x86_64 and aarch64 only, not " + platform.getOS() + "/" + cpu);
            }
            return LibraryLoader.create(SocketLibC.class).load("c");
        }
    }

    static SocketLibC get() {
        return Holder.INSTANCE;
    }

    static jnr.ffi.Runtime runtime() {
        return Holder.RUNTIME;
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    /** {@code "<what>: <strerror(errno)>"} for the last failed call on this thread. */
    static String failure(String what) {
        return what + ": " + get().strerror(errno());
    }
}
