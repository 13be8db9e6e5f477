package org.hast.nv;

/**
 * An nv blob that breaks the rules of spec §5.3, or a field that a caller required and that is
 * missing or of another type (§5.4). The reference answers all of these with one errno
 * (EINVAL or ENOENT); {@link #reason()} keeps that distinction for callers that map it back.
 */
public final class NvFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the blob or the lookup failed. */
    public enum Reason {
        /** The blob itself is malformed (EINVAL from {@code nv_ntoh}). */
        MALFORMED,
        /** A required field is absent (ENOENT). */
        MISSING,
        /** The first field with the name has another type (EINVAL). */
        WRONG_TYPE
    }

    private final Reason reason;

    public NvFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
