package org.hast.conf;

/**
 * The {@code localio} extension: how the local component's data is read and written. It has
 * no wire code; it never leaves this node.
 */
public enum LocalIoMode {
    /** Through the page cache, as a Linux file or block device is by default. */
    BUFFERED("buffered"),
    /** {@code O_DIRECT}: around the page cache, as a FreeBSD GEOM provider has none. */
    DIRECT("direct");

    private final String word;

    LocalIoMode(String word) {
        this.word = word;
    }

    /** The word written in hast.conf. */
    public String word() {
        return word;
    }

    /** The mode spelled exactly {@code word}, or null. */
    public static LocalIoMode fromWord(String word) {
        for (LocalIoMode mode : values()) {
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
