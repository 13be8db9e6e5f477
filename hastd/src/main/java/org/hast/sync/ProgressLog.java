package org.hast.sync;

import org.hast.util.HumanNumber;
import org.hast.role.SyncProgress;

/**
 * When a running synchronisation gets a progress line in syslog: at least
 * {@link #MIN_INTERVAL_NANOS} (10 s) and {@link #MIN_STEP_PERCENT} (10 points) after the
 * previous line, whichever comes later, so a short sync logs nothing extra and a day-long one
 * at most ten lines. The start and end lines stay the reference's.
 */
public final class ProgressLog {
    static final long MIN_INTERVAL_NANOS = 10_000_000_000L;
    static final double MIN_STEP_PERCENT = 10.0;

    private long lastNanos;
    private double lastPercent;

    /** A new pass started at {@code nowNanos}. */
    public void restart(long nowNanos) {
        lastNanos = nowNanos;
        lastPercent = 0;
    }

    /** The line to log for {@code progress} at {@code nowNanos}, or null if it is not yet time. */
    public String lineFor(SyncProgress progress, long nowNanos) {
        if (!progress.active() || nowNanos - lastNanos < MIN_INTERVAL_NANOS
                || progress.percent() - lastPercent < MIN_STEP_PERCENT) {
            return null;
        }
        lastNanos = nowNanos;
        lastPercent = progress.percent();
        return format(progress);
    }

    static String format(SyncProgress progress) {
        long eta = progress.etaSeconds();
        return String.format("Synchronization in progress: %.0f%% (%sB of %sB), %sB/sec, ETA %s.",
                Math.floor(progress.percent()), HumanNumber.humanize(progress.doneBytes()),
                HumanNumber.humanize(progress.totalBytes()), HumanNumber.humanize(progress.bytesPerSecond()),
                eta < 0 ? "unknown" : eta + "s");
    }
}
