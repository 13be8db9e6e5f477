package org.hast.conf;

/** {@code checksum} values (spec §1.3, §10.1) with their Appendix B codes. */
public enum ChecksumType {
    NONE(0, "none"),
    CRC32(1, "crc32"),
    SHA256(2, "sha256");

    private final int code;
    private final String word;

    ChecksumType(int code, String word) {
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
    public static ChecksumType fromCode(int code) {
        for (ChecksumType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        return null;
    }

    /** The type spelled exactly {@code word}, or null. */
    public static ChecksumType fromWord(String word) {
        for (ChecksumType type : values()) {
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
