package org.hast.ctl;

/**
 * A failure that ends hastctl with a sysexits code (spec §2.7). The message is logged as one
 * {@code [ERROR]} line before exiting, unless it is null (already reported).
 */
final class CtlException extends Exception {
    private final int exitCode;

    CtlException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    CtlException(int exitCode, String message, Throwable cause) {
        super(message, cause, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
