package org.hast.conf;

/**
 * The {@code device} extension (decisions §3): how {@code <devdir>/<name>} is provided on the
 * primary. It has no wire code; it never leaves this node.
 */
public enum DeviceMode {
    /** GEOM Gate on FreeBSD; on Linux NBD if available, else FUSE + loop, else none. */
    AUTO("auto"),
    NBD("nbd"),
    FUSE("fuse"),
    GGATE("ggate"),
    /** No kernel device (the resource may still be served through {@code export}). */
    NONE("none");

    private final String word;

    DeviceMode(String word) {
        this.word = word;
    }

    /** The word written in hast.conf. */
    public String word() {
        return word;
    }

    /** The mode spelled exactly {@code word}, or null. */
    public static DeviceMode fromWord(String word) {
        for (DeviceMode mode : values()) {
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
