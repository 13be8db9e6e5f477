package org.hast.conf;

/**
 * The integrity extensions of one resource (docs/integrity.md): whether this node offers the
 * block-hash messages to its peer, whether a synchronisation compares hashes before copying,
 * and how fast a synchronisation may go. All off by default, which is what a FreeBSD peer sees.
 *
 * @param hashes           {@code integrity on}: offer the hash messages (online verify)
 * @param checksumSync     {@code syncmode checksum}: hash a dirty range on both nodes first and
 *                         copy only the blocks that differ (implies {@code hashes})
 * @param syncRate         {@code syncrate <bytes/s>}: upper limit of a synchronisation, 0 = none
 * @param adaptiveTargetMs {@code syncrate adaptive <ms>}: keep application write latency under
 *                         this while synchronising, 0 = not adaptive
 */
public record IntegrityConfig(boolean hashes, boolean checksumSync, long syncRate, int adaptiveTargetMs) {
    public static final IntegrityConfig DEFAULTS = new IntegrityConfig(false, false, 0, 0);

    public IntegrityConfig {
        if (syncRate < 0 || adaptiveTargetMs < 0) {
            throw new IllegalArgumentException("negative syncrate");
        }
    }

    /** Whether this node offers the hash capability in the handshake. */
    public boolean offersHashes() {
        return hashes || checksumSync;
    }
}
