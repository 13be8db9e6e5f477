package org.hast.role;

/** Ends the worker with a sysexits code after logging {@link #getMessage()} as an error. */
public final class WorkerExit extends Exception {
    private final int exitCode;

    public WorkerExit(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
