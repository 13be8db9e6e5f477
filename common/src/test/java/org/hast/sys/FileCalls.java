package org.hast.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;

/** Test-only libc calls to use a received descriptor directly, without going through a path. */
public interface FileCalls {
    int SEEK_SET = 0;
    int SEEK_CUR = 1;

    long read(int fd, @Out byte[] buffer, long count);

    long lseek(int fd, long offset, int whence);

    final class Holder {
        static final FileCalls INSTANCE = LibraryLoader.create(FileCalls.class).load("c");

        private Holder() {
        }
    }

    static FileCalls get() {
        return Holder.INSTANCE;
    }
}
