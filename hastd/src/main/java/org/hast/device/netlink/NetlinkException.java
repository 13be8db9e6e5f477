package org.hast.device.netlink;

import java.io.IOException;

/** A netlink request the kernel refused, with its errno (positive). */
public final class NetlinkException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NetlinkException(String what, int errno) {
        super(what + ": " + NetlinkLibC.get().strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
