package org.hast.conf;

/** {@code compression} values (spec §1.3, §10.2) with their Appendix B codes. */
public enum CompressionType {
    NONE(0, "none"),
    HOLE(1, "hole"),
    LZF(2, "lzf");

    private final int code;
    private final String word;

    CompressionType(int code, String word) {
        this.code = code;
        this.word = word;
    }

    public int code() {
        return code;
    }

    /** The word written in hast.conf and printed by {@code hastctl list}. */
    public String word() {
        return word;
    }

    /** The type with this code, or null. */
    public static CompressionType fromCode(int code) {
        for (CompressionType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        return null;
    }

    /** The type spelled exactly {@code word}, or null. */
    public static CompressionType fromWord(String word) {
        for (CompressionType type : values()) {
            if (type.word.equals(word)) {
                return type;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return word;
    }
}
