package org.hast.device;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Variadic;

/**
 * The libc calls of {@link KernelNbdBridge}: a binding of its own (as SocketLibC is) so that
 * nothing else pays for generating these stubs, and because NBD ioctls take their argument by
 * value, which {@link org.hast.sys.LibC}'s pointer-taking {@code ioctl} cannot express.
 * Public only because jnr-ffi implements it from another class loader.
 */
public interface NbdLibC {
    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;

    int EINTR = 4;
    int EBUSY = 16;

    int open(String path, int flags);

    int close(int fd);

    /** An {@code _IO} ioctl with an {@code unsigned long} argument. */
    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, long argument);

    int fsync(int fd);

    String strerror(int errno);

    /** Loads the binding on first use only. */
    final class Holder {
        static final NbdLibC INSTANCE = LibraryLoader.create(NbdLibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }

    static NbdLibC get() {
        return Holder.INSTANCE;
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }
}
