package org.hast.codec;

/**
 * Payload compression as configured on the sending side (spec §10.2). The wire carries the
 * name in the {@code compression} nv string, and only for {@link #HOLE} and {@link #LZF}.
 * The numeric codes are the reference's {@code HAST_COMPRESSION_*} values (Appendix B), which
 * travel as int32 on the parent → worker reload channel only.
 */
public enum Compression {
    NONE("none", 0),
    HOLE("hole", 1),
    LZF("lzf", 2);

    private final String wireName;
    private final int code;

    Compression(String wireName, int code) {
        this.wireName = wireName;
        this.code = code;
    }

    /** The reference's {@code compression_name()}: "none", "hole" or "lzf". */
    public String wireName() {
        return wireName;
    }

    public int code() {
        return code;
    }

    /**
     * The algorithm with this name, "none" included, or null when unknown. A received
     * {@code compression} field never legitimately says "none": {@link PayloadCodec} refuses it.
     */
    public static Compression fromWireName(String name) {
        for (Compression c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The algorithm with this Appendix B code (the parent → worker channel), or null. */
    public static Compression fromCode(int code) {
        for (Compression c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** The word written in hast.conf and printed by {@code hastctl list}: the wire name. */
    @Override
    public String toString() {
        return wireName;
    }
}
