package org.hast.meta;

/**
 * Metadata that cannot be used (spec §6.1). The message is the reference's log line without
 * the resource prefix and without the {@code ": <strerror>"} tail that {@code pjdlog_errno}
 * would add; {@link #kind()} tells which of the reference's cases it is.
 */
public final class MetadataException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Which step of reading failed. */
    public enum Kind {
        /** Fewer than 4096 bytes: "Unable to read metadata" (the reference names no path here). */
        SHORT_READ,
        /** The nv blob breaks §5.3: "Metadata read from PATH is invalid" (EINVAL). */
        INVALID,
        /** {@code resource} names another resource: "Provider PATH is not part of resource NAME." */
        WRONG_RESOURCE,
        /**
         * A mandatory field is missing (ENOENT) or of another type (EINVAL): "Unable to read
         * metadata from PATH". The cause is the {@link org.hast.nv.NvFormatException}.
         */
        BAD_FIELD
    }

    private final Kind kind;

    public MetadataException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
