package org.hast.sys;

import org.hast.platform.host.HostPlatform;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;

/**
 * The libc socket calls behind {@link FdPassing} and {@link RawUnixSocket}: a binding of its own
 * so that programs which only need {@link LibC} (hastctl) never pay for generating these stubs.
 *
 * <p>The numbers and structure layouts the callers pass differ between Linux and FreeBSD
 * ({@code SOL_SOCKET} is 1 or 0xFFFF, {@code struct msghdr} 56 or 48 bytes): they come from
 * {@code HostPlatform.current()}, not from here. Only what is the same on both stays below.
 */
public interface SocketLibC {
    short POLLIN = 0x1;

    /** {@code fcntl} commands and {@code FD_CLOEXEC}: the same numbers on Linux and FreeBSD. */
    int F_GETFD = 1;
    int F_GETFL = 3;
    int F_SETFL = 4;
    int FD_CLOEXEC = 1;

    /** Internal (Linux-numbered, see {@code Platform}) errno values the callers test for. */
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

    int setsockopt(int fd, int level, int option, Pointer value, int valueLength);

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
            if ((platform.getOS() != Platform.OS.LINUX && platform.getOS() != Platform.OS.FREEBSD)
                    || (cpu != Platform.CPU.X86_64 && cpu != Platform.CPU.AARCH64)) {
                throw new UnsupportedOperationException("Descriptor passing is implemented for Linux and FreeBSD "
                        + "on x86_64 and aarch64 only, not " + platform.getOS() + "/" + cpu);
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

    /** The errno of the last failed call on this thread, as this system numbers it. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    /** The errno of the last failed call on this thread, in the internal (Linux) numbering. */
    static int internalErrno() {
        return HostPlatform.current().fromNativeErrno(errno());
    }

    /** {@code "<what>: <strerror(errno)>"} for the last failed call on this thread. */
    static String failure(String what) {
        return what + ": " + get().strerror(errno());
    }
}
