package org.hast.primary;

/**
 * How long the primary waits for the secondary to answer its second header (spec §4.3 steps 5
 * and 6: the resource's parameters or a refusal, after TLS when configured). That answer comes
 * from a worker the secondary's main process starts for this pair; FreeBSD forks one within
 * {@code timeout}, a JVM on a loaded machine may not. Each attempt the primary gives up makes
 * the secondary stop that worker and start another for the next attempt, so a wait that stays
 * shorter than the start never pairs. The wait therefore doubles after each attempt that waited
 * it out in silence, up to {@link #CEILING_SECONDS} (or {@code timeout} when that is longer),
 * and falls back to {@code timeout} once the secondary has answered. Nothing changes on the wire.
 * Not thread-safe: {@link RemoteLink} uses it under its own monitor.
 */
final class SecondaryAnswerWait {
    /** A worker start longer than this is a stuck secondary, not a slow one: retry at this pace. */
    static final int CEILING_SECONDS = 120;

    /** The wait the last silent attempt earned; 0 after an answer. */
    private int grown;

    /** The wait for the next attempt. */
    int seconds(int timeoutSeconds) {
        return Math.max(timeoutSeconds, grown);
    }

    /**
     * The attempt that waited {@code waitedSeconds} ({@link #seconds}) ended without an answer
     * after {@code elapsedNanos}; returns the next attempt's wait. Only an attempt that waited
     * the whole time grows it: a secondary that closed or refused early is not slow.
     */
    int unanswered(int timeoutSeconds, int waitedSeconds, long elapsedNanos) {
        if (elapsedNanos >= waitedSeconds * 1_000_000_000L) {
            grown = Math.min(CEILING_SECONDS, Math.max(grown, waitedSeconds * 2));
        }
        return seconds(timeoutSeconds);
    }

    /** The secondary answered (parameters or a refusal): its worker starts fast enough. */
    void answered() {
        grown = 0;
    }
}
