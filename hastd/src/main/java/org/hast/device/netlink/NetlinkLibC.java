package org.hast.device.netlink;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The libc calls of {@link GenericNetlink}: control messages of a few hundred bytes, so plain
 * byte arrays (copied by jnr-ffi) are enough. Public only because jnr-ffi implements it from
 * another class loader.
 */
public interface NetlinkLibC {
    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int NETLINK_GENERIC = 16;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    int EINTR = 4;
    int EAGAIN = 11;

    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int option, @In byte[] value, int valueLength);

    long send(int fd, @In byte[] buffer, long length, int flags);

    long recv(int fd, @Out byte[] buffer, long length, int flags);

    int close(int fd);

    String strerror(int errno);

    /** Loads the binding on first use only. */
    final class Holder {
        static final NetlinkLibC INSTANCE = LibraryLoader.create(NetlinkLibC.class).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(INSTANCE);

        private Holder() {
        }
    }

    static NetlinkLibC get() {
        return Holder.INSTANCE;
    }

    static int errno() {
        return Holder.RUNTIME.getLastError();
    }
}
