package org.hast.proto;

/**
 * The {@code cmd} of a request header (spec §4.4, Appendix B {@code HIO_*}). Travels as uint8.
 * KEEPALIVE exists since protocol version 1.
 */
public enum HioCommand {
    /** {@code HIO_UNDEF}: never sent; what a missing or unknown {@code cmd} maps to. */
    UNDEF(0),
    READ(1),
    WRITE(2),
    DELETE(3),
    FLUSH(4),
    KEEPALIVE(5),
    /**
     * Ours, not the reference's: the secondary answers with the SHA-256 of every block of the
     * range (docs/integrity.md). Sent only to a peer that offered {@link Capabilities#HASHES}.
     */
    HASH(72);

    /** The reference's commands, indexed by code; HASH lies outside. */
    private static final HioCommand[] BY_CODE = {UNDEF, READ, WRITE, DELETE, FLUSH, KEEPALIVE};

    private final int code;

    HioCommand(int code) {
        this.code = code;
    }

    /** The wire value. */
    public int code() {
        return code;
    }

    /**
     * The command with this wire value, or {@link #UNDEF} for 0 and for any value the
     * reference does not define (callers that must tell the two apart keep the raw code, as
     * {@link RequestHeader#cmdCode()} does).
     */
    public static HioCommand fromCode(int code) {
        if (code == HASH.code) {
            return HASH;
        }
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEF;
    }
}
