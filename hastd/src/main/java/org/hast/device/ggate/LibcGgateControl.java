package org.hast.device.ggate;

import java.io.IOException;

import org.hast.platform.Platform;
import org.hast.sys.LibC;

import jnr.ffi.Pointer;

/** {@link GgateControl} through libc: what runs on FreeBSD. */
public final class LibcGgateControl implements GgateControl {
    private final LibC libc = LibC.get();
    private final int openFlags;

    public LibcGgateControl(Platform platform) {
        this.openFlags = platform.files().rdwr() | platform.files().cloexec();
    }

    @Override
    public int open(String path) throws IOException {
        int fd = libc.open(path, openFlags);
        if (fd < 0) {
            throw new IOException("Unable to open " + path + ": " + libc.strerror(LibC.errno()));
        }
        return fd;
    }

    @Override
    public int ioctl(int fd, long request, Pointer argument) {
        return libc.ioctl(fd, request, argument) < 0 ? LibC.errno() : 0;
    }

    @Override
    public void close(int fd) {
        libc.close(fd);
    }

    @Override
    public String describe(int errno) {
        return libc.strerror(errno);
    }

    @Override
    public jnr.ffi.Runtime runtime() {
        return jnr.ffi.Runtime.getRuntime(libc);
    }
}
