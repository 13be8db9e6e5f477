package org.hast.meta;

import org.hast.util.SysExits;

/**
 * Sizes that {@code hastctl create} refuses (spec §2.2 steps 2–4). The message is the
 * reference's line without the {@code [resource] } prefix; {@link #exitCode()} is the sysexits
 * code the command exits with.
 */
public final class LayoutException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public LayoutException(String message) {
        this(message, SysExits.EX_DATAERR);
    }

    public LayoutException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
