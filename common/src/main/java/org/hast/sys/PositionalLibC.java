package org.hast.sys;

import jnr.ffi.LibraryLoader;

/**
 * {@code pread}/{@code pwrite} (and Linux's {@code preadv2}) on a native address: the local component's data path without
 * {@code FileChannel}'s per-call bookkeeping (issue #15). A binding of its own, loaded by the
 * workers only, so that hastctl never generates these stubs. Addresses are passed as plain
 * {@code long}s: jnr-ffi then takes its fastest, all-numeric call path.
 */
public interface PositionalLibC {

    /** Returns {@code ssize_t}: bytes written, or -1 with errno set. */
    long pwrite(int fd, long address, long count, long offset);

    /** Returns {@code ssize_t}: bytes read, 0 at the end of the file, or -1 with errno set. */
    long pread(int fd, long address, long count, long offset);

    /**
     * Linux's {@code preadv2(2)} (glibc 2.26 and later; absent elsewhere: call it only on Linux):
     * {@code iov} is the address of {@code iovcnt} {@code struct iovec}s. Returns as {@link #pread}.
     */
    long preadv2(int fd, long iov, int iovcnt, long offset, int flags);

    String strerror(int errno);

    /** Loads the binding on first use only. */
    final class Holder {
        static final PositionalLibC INSTANCE = LibraryLoader.create(PositionalLibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }

    static PositionalLibC get() {
        return Holder.INSTANCE;
    }

    /** The errno of the last failed call on this thread, as this system numbers it. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }
}
