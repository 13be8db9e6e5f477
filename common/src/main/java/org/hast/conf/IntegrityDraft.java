package org.hast.conf;

/** {@code integrity}, {@code syncmode} and {@code syncrate} of one level while it is parsed; null = unset. */
final class IntegrityDraft {
    Boolean hashes;
    Boolean checksumSync;
    Long syncRate;
    Integer adaptiveTargetMs;

    /** This level over {@code fallback} (the global one). */
    IntegrityConfig resolve(IntegrityConfig fallback) {
        boolean rateSet = syncRate != null;
        return new IntegrityConfig(
                hashes != null ? hashes : fallback.hashes(),
                checksumSync != null ? checksumSync : fallback.checksumSync(),
                rateSet ? syncRate : fallback.syncRate(),
                rateSet ? adaptiveTargetMs : fallback.adaptiveTargetMs());
    }
}
