package org.hast.ctl;

import java.io.PrintStream;

/**
 * hastctl's log lines in the reference's foreground format (spec §3.10):
 * {@code [LEVEL] [resource] message}. Errors and warnings go to stderr, the rest to stdout;
 * debug lines appear only when {@code -d} was given often enough.
 */
final class CtlLog {
    private final PrintStream out;
    private final PrintStream err;
    private int debugLevel;
    private String prefix = "";

    CtlLog(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    void setDebugLevel(int level) {
        this.debugLevel = level;
    }

    /** Sets the per-resource prefix ({@code [name] }), or clears it with null. */
    void setResource(String resource) {
        this.prefix = resource == null ? "" : "[" + resource + "] ";
    }

    void error(String message) {
        err.println("[ERROR] " + prefix + message);
    }

    void warning(String message) {
        err.println("[WARNING] " + prefix + message);
    }

    void debug(int level, String message) {
        if (level <= debugLevel) {
            out.println("[DEBUG][" + level + "] " + prefix + message);
        }
    }
}
