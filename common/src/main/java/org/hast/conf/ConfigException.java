package org.hast.conf;

import org.hast.util.SysExits;

/**
 * A configuration that cannot be used. {@link #getMessage()} is the one line printed at the
 * edge ({@code <file>:<line>: <reason>}, 1-based lines as decided in A1, or
 * {@code <file>: <reason>} when no line applies), and {@link #exitCode()} is the sysexits code
 * of spec §1.8: {@code EX_CONFIG} for grammar and semantic errors, {@code EX_OSFILE} for a file
 * that cannot be read, {@code EX_TEMPFAIL} when there is no address to listen on.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Marks an error that is about the whole file rather than one line. */
    public static final int NO_LINE = 0;

    private final String file;
    private final int line;
    private final String reason;
    private final int exitCode;

    public ConfigException(String file, int line, String reason, int exitCode) {
        super(format(file, line, reason));
        this.file = file;
        this.line = line;
        this.reason = reason;
        this.exitCode = exitCode;
    }

    /** A grammar or semantic error at {@code line} ({@code EX_CONFIG}). */
    public static ConfigException at(String file, int line, String reason) {
        return new ConfigException(file, line, reason, SysExits.EX_CONFIG);
    }

    /** An error about the whole file. */
    public static ConfigException whole(String file, String reason, int exitCode) {
        return new ConfigException(file, NO_LINE, reason, exitCode);
    }

    private static String format(String file, int line, String reason) {
        String text = line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason;
        // The contract is one line, whatever a caller passed in.
        return text.replace('\n', ' ').replace('\r', ' ');
    }

    /** The sysexits code a program exits with when this error is fatal. */
    public int exitCode() {
        return exitCode;
    }

    /** The file name as given to the parser. */
    public String file() {
        return file;
    }

    /** The 1-based line, or {@link #NO_LINE}. */
    public int line() {
        return line;
    }

    /** The message without the {@code file:line: } prefix. */
    public String reason() {
        return reason;
    }
}
