package org.hast.sys;

import java.io.IOException;

/** A failed system call whose errno matters to the caller (e.g. to put it in a reply). */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ErrnoException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The errno in this host's numbering. */
    public int errno() {
        return errno;
    }
}
