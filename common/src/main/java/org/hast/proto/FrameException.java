package org.hast.proto;

import java.io.IOException;

/**
 * A frame header (spec §4.1) that cannot be accepted: the stream it came from is out of step
 * and must be closed. It is an {@link IOException} because that is what it means to a
 * connection: the link is broken.
 */
public final class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What was wrong with the header. */
    public enum Kind {
        /** Fewer bytes than the header or the nv blob it announces. */
        TRUNCATED,
        /** A version above {@link FrameHeader#MAX_VERSION} (the reference's ERPCMISMATCH). */
        VERSION,
        /** An nv size above the receiver's cap. */
        TOO_LARGE
    }

    private final Kind kind;

    public FrameException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
