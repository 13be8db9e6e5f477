package org.hast.sys;

import jnr.ffi.LibraryLoader;

/**
 * {@code pread}/{@code pwrite} on a native address: the local component's data path without
 * {@code FileChannel}'s per-call bookkeeping (issue #15). A binding of its own, loaded by the
 * workers only, so that hastctl never generates these stubs. Addresses are passed as plain
 * {@code long}s: jnr-ffi then takes its fastest, all-numeric call path.
 */
public interface PositionalLibC {

    /** Returns {@code ssize_t}: bytes written, or -1 with errno set. */
    long pwrite(int fd, long address, long count, long offset);

    /** Returns {@code ssize_t}: bytes read, 0 at the end of the file, or -1 with errno set. */
    long pread(int fd, long address, long count, long offset);

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
