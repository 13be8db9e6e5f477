package org.hast.role;

/**
 * Where a synchronisation pass stands: bytes copied in this pass, bytes still dirty (writes
 * during the pass may add some, so the total can grow) and how long it has been running.
 *
 * @param active        a pass is running
 * @param fromSecondary the secondary is the source (the primary's copy is the outdated one)
 */
public record SyncProgress(boolean active, boolean fromSecondary, long doneBytes, long remainingBytes,
                           long elapsedNanos) {
    public static final SyncProgress IDLE = new SyncProgress(false, false, 0, 0, 0);

    public long totalBytes() {
        return doneBytes + remainingBytes;
    }

    /** 0–100; 100 when nothing is left. */
    public double percent() {
        long total = totalBytes();
        return total == 0 ? 100.0 : 100.0 * doneBytes / total;
    }

    /** Average rate of this pass in bytes per second; 0 before the first second's worth. */
    public long bytesPerSecond() {
        return elapsedNanos <= 0 ? 0 : (long) (doneBytes * 1e9 / elapsedNanos);
    }

    /** Seconds left at the average rate so far; -1 when no rate is known yet. */
    public long etaSeconds() {
        long rate = bytesPerSecond();
        return rate <= 0 ? -1 : (remainingBytes + rate - 1) / rate;
    }

    /** {@code primary-to-secondary} or {@code secondary-to-primary}. */
    public String direction() {
        return fromSecondary ? "secondary-to-primary" : "primary-to-secondary";
    }
}
