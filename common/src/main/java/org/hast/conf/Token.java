package org.hast.conf;

import java.util.HashMap;
import java.util.Map;

/**
 * One token of hast.conf (spec §1.1). Keywords are only the reference's own words: the
 * extension words ({@code device}, {@code devdir}, {@code export}, {@code auto}, ...) are
 * plain {@link Kind#STR} tokens that the parser recognises by position, so that a resource
 * or path spelled like one keeps working as it does on FreeBSD.
 */
record Token(Kind kind, String text, int line) {

    enum Kind {
        CONTROL("control"),
        PIDFILE("pidfile"),
        LISTEN("listen"),
        REPLICATION("replication"),
        CHECKSUM("checksum"),
        COMPRESSION("compression"),
        TIMEOUT("timeout"),
        EXEC("exec"),
        METAFLUSH("metaflush"),
        RESOURCE("resource"),
        NAME("name"),
        LOCAL("local"),
        REMOTE("remote"),
        SOURCE("source"),
        ON("on"),
        OFF("off"),
        FULLSYNC("fullsync"),
        MEMSYNC("memsync"),
        ASYNC("async"),
        NONE("none"),
        CRC32("crc32"),
        SHA256("sha256"),
        HOLE("hole"),
        LZF("lzf"),
        /** One or more decimal digits. */
        NUM(null),
        /** Any other word of the word alphabet. */
        STR(null),
        LBRACE(null),
        RBRACE(null),
        EOF(null);

        private static final Map<String, Kind> KEYWORDS = new HashMap<>();

        static {
            for (Kind kind : values()) {
                if (kind.spelling != null) {
                    KEYWORDS.put(kind.spelling, kind);
                }
            }
        }

        private final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        /** The keyword spelled exactly {@code word} (an exact tie beats STR), or null. */
        static Kind keyword(String word) {
            return KEYWORDS.get(word);
        }

        boolean isKeyword() {
            return spelling != null;
        }
    }

    /** True for a STR token spelled exactly {@code word} (an extension keyword in context). */
    boolean isWord(String word) {
        return kind == Kind.STR && text.equals(word);
    }
}
