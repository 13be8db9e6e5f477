package org.hast.util;

import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Java I/O exceptions as the strerror(3) text the reference prints after a colon. Never null:
 * Netty's channel exceptions often carry no message, and "Unable to send reply: null." says
 * nothing to an administrator.
 */
public final class IoErrors {
    private IoErrors() {
    }

    public static String describe(Throwable e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "File exists";
        }
        if (e instanceof NotDirectoryException) {
            return "Not a directory";
        }
        if (e instanceof ClosedChannelException) {
            return "Connection closed";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
