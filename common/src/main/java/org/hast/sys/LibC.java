package org.hast.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.byref.LongLongByReference;

/**
 * The few libc calls Java has no API for. Kept to a handful of methods: jnr-ffi generates the
 * binding at first use, and every extra method costs start-up time (spec/versions.md).
 */
public interface LibC {
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;

    int LOCK_EX = 2;
    int LOCK_NB = 4;
    int LOCK_UN = 8;

    /** {@code _IOR(0x12, 114, size_t)}: device size in bytes. */
    long BLKGETSIZE64 = 0x80081272L;
    /** {@code _IO(0x12, 104)}: logical sector size. */
    long BLKSSZGET = 0x1268L;
    /** {@code _IO(0x12, 119)}: discard a byte range, argument uint64[2] {offset, length}. */
    long BLKDISCARD = 0x1277L;

    int open(String path, int flags);

    int close(int fd);

    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, @Out LongLongByReference value);

    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, Pointer argument);

    int flock(int fd, int operation);

    String strerror(int errno);

    int FALLOC_FL_KEEP_SIZE = 0x01;
    int FALLOC_FL_PUNCH_HOLE = 0x02;

    /** Hole punching: DELETE on a regular-file component (spec §13.1). */
    int fallocate(int fd, int mode, long offset, long length);

    /** Detaches a daemon from its terminal session. */
    int setsid();

    /** Loads the binding on first use only. */
    final class Holder {
        static final LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }

    static LibC get() {
        return Holder.INSTANCE;
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }
}
