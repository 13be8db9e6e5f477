package org.hast.proto;

/**
 * Which node's data wins in the synchronisation after a connect (spec §8, Appendix B
 * {@code HAST_SYNCSRC_*}): the {@code syncsrc} uint8 of the secondary's handshake reply.
 */
public enum SyncSource {
    /** Not decided yet; never sent in an accepted reply. */
    UNDEF(0),
    /** The primary is the source: data is copied primary → secondary. */
    PRIMARY(1),
    /** The secondary is the source: the primary is out of date. */
    SECONDARY(2);

    private final int code;

    SyncSource(int code) {
        this.code = code;
    }

    /** The wire value. */
    public int code() {
        return code;
    }

    /** The source with this wire value, or {@link #UNDEF} for anything but 1 and 2. */
    public static SyncSource fromCode(int code) {
        switch (code) {
            case 1:
                return PRIMARY;
            case 2:
                return SECONDARY;
            default:
                return UNDEF;
        }
    }
}
