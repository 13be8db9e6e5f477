package org.hast.control;

/**
 * Numbers of the hastctl ↔ hastd control protocol (spec §2.8, Appendix B). Requests carry
 * {@code cmd} as uint8; errors travel as int16.
 */
public final class ControlCodes {
    /** {@code HASTCTL_CMD_SETROLE}: fields {@code role} (uint8) and {@code resource0..N}. */
    public static final int CMD_SETROLE = 1;
    /** {@code HASTCTL_CMD_STATUS}: fields {@code resource0..N} ({@code all} = every resource). */
    public static final int CMD_STATUS = 2;
    /**
     * Our extension (decisions §3): end hastd as SIGTERM does. Not in any FreeBSD hastctl; a
     * FreeBSD hastd answers it with {@code error = EHAST_UNIMPLEMENTED}.
     */
    public static final int CMD_STOP = 3;
    /**
     * Our extension: follow state changes (docs/events.md). Fields {@code resource0..N} as for
     * status; the reply is followed by one frame per event until either side closes.
     */
    public static final int CMD_EVENTS = 4;
    /**
     * Our extension to {@link #CMD_STATUS}: with {@code ext} (uint8 1) the reply also carries
     * the {@code x_} fields of docs/json-status.md. Without it the reply is the reference's.
     */
    public static final String STATUS_EXTENDED = "ext";
    /**
     * Our extension (docs/integrity.md): online verify. Field {@code verify} (uint8, one of the
     * {@code VERIFY_*}) and {@code resource0..N}. The reply has {@code resource<i>} and, when a
     * resource refused, {@code error<i>} and {@code verifyerr<i>} (the reason, one line).
     */
    public static final int CMD_VERIFY = 5;
    public static final int VERIFY_START = 1;
    public static final int VERIFY_REPAIR = 2;
    public static final int VERIFY_STOP = 3;

    public static final int EHAST_OK = 0;
    public static final int EHAST_NOENTRY = 1;
    public static final int EHAST_INVALID = 2;
    public static final int EHAST_NOMEMORY = 3;
    public static final int EHAST_UNIMPLEMENTED = 4;

    /** The header version byte of every control message (no resource context, spec §4.1). */
    public static final int FRAME_VERSION = 2;

    private ControlCodes() {
    }
}
