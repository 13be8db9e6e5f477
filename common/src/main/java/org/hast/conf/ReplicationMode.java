package org.hast.conf;

/**
 * {@code replication} values (spec §1.3, §4.6). The numeric code is the one the reference
 * sends as int32 on the parent-to-worker reload channel (Appendix B).
 */
public enum ReplicationMode {
    FULLSYNC(0, "fullsync"),
    MEMSYNC(1, "memsync"),
    ASYNC(2, "async");

    private final int code;
    private final String word;

    ReplicationMode(int code, String word) {
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

    /** The mode with this code, or null. */
    public static ReplicationMode fromCode(int code) {
        for (ReplicationMode mode : values()) {
            if (mode.code == code) {
                return mode;
            }
        }
        return null;
    }

    /** The mode spelled exactly {@code word}, or null. */
    public static ReplicationMode fromWord(String word) {
        for (ReplicationMode mode : values()) {
            if (mode.word.equals(word)) {
                return mode;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return word;
    }
}
