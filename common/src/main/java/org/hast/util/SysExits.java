package org.hast.util;

/**
 * The sysexits(3) codes both programs exit with (spec §2.7, §3.9). Every exit code in the
 * project comes from here so that the numbers a failover script sees are defined once.
 */
public final class SysExits {
    public static final int EX_OK = 0;
    /** Command line usage error. */
    public static final int EX_USAGE = 64;
    /** Data format error: unknown resource, bad sizes. */
    public static final int EX_DATAERR = 65;
    /** Cannot open input: provider or metadata unreadable. */
    public static final int EX_NOINPUT = 66;
    /** Service unavailable: control socket send/receive failed. */
    public static final int EX_UNAVAILABLE = 69;
    /** Internal software error, or a top-level error from hastd. */
    public static final int EX_SOFTWARE = 70;
    /** System error: cannot create or connect a socket, fork, listen. */
    public static final int EX_OSERR = 71;
    /** Critical OS file missing or unreadable (the configuration file). */
    public static final int EX_OSFILE = 72;
    /** Input/output error. */
    public static final int EX_IOERR = 74;
    /** Temporary failure: a primary worker exiting with it is restarted. */
    public static final int EX_TEMPFAIL = 75;
    /** Configuration error. */
    public static final int EX_CONFIG = 78;

    private SysExits() {
    }
}
