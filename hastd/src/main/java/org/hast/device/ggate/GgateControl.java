package org.hast.device.ggate;

import java.io.IOException;

import jnr.ffi.Pointer;

/**
 * The native calls the GEOM Gate bridge makes, and nothing else: open and close
 * {@code /dev/ggctl}, and {@code ioctl(fd, request, struct *)}. The real implementation is libc
 * ({@link LibcGgateControl}); tests put an in-process model of {@code g_gate.c}'s kernel side
 * behind the same interface, which reads and writes the same bytes the kernel would.
 */
public interface GgateControl {

    /** Opens the control device read-write. */
    int open(String path) throws IOException;

    /** {@code ioctl(fd, request, argument)}: 0, or the (FreeBSD) errno of the failure. */
    int ioctl(int fd, long request, Pointer argument);

    void close(int fd);

    /** The message for a FreeBSD errno. */
    String describe(int errno);

    /** The runtime the bridge allocates its control structures from. */
    jnr.ffi.Runtime runtime();
}
