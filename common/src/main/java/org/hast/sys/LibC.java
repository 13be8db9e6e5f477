package org.hast.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.byref.LongLongByReference;

/**
 * The few libc calls Java has no API for. Kept to a handful of methods: jnr-ffi generates the
 * binding at first use, and every extra method costs start-up time (spec/versions.md).
 * {@code fallocate} is Linux's; on FreeBSD jnr-ffi binds it to a stub that throws when called,
 * and nothing calls it there (a file component's DELETE is refused on FreeBSD for now).
 */
public interface LibC {
    // open(2) flags, flock(2) operations and disk ioctls differ by system: HostPlatform.current().

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

    /** Waits for write-out already under way in the range before starting more. */
    int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    /** Starts write-out of the range's dirty pages not already under write-out. */
    int SYNC_FILE_RANGE_WRITE = 2;
    /** Waits for the write-out to finish. */
    int SYNC_FILE_RANGE_WAIT_AFTER = 4;

    /**
     * Linux: writes back a file's dirty pages in a range, without a cache flush, as {@code flags}
     * say; length 0 means to the end of the file.
     */
    int sync_file_range(int fd, long offset, long nbytes, int flags);

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
