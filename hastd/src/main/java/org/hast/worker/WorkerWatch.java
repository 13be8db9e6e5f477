package org.hast.worker;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.hast.daemon.process.FatalThreads;
import org.hast.nv.NvWriter;
import org.hast.sync.ProgressLog;
import org.hast.role.SyncProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.role.Worker;

/**
 * Once a second, off the I/O path, looks at a running worker: a running synchronisation gets
 * a progress notice to the main process (for {@code hastctl events}) and, now and then, a
 * progress line in syslog ({@link ProgressLog}); new local I/O errors get an {@code io-error}
 * notice. Notices are {@code {notice: kind, ...}} messages, which the main process does not
 * acknowledge.
 */
final class WorkerWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerWatch.class);
    static final long PERIOD_MILLIS = 1_000;

    private final Worker worker;
    private final WorkerObservation observed;
    private final Notices notices;
    private final ProgressLog progressLog = new ProgressLog();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(FatalThreads.factory("worker-watch"));
    private boolean syncing;
    private long errorsSeen;

    /**
     * Builds a notice and sends it unless it is null, under the lock the worker's events are sent
     * with, so that no progress notice can follow the end of its synchronisation.
     */
    interface Notices {
        void send(Supplier<NvWriter> notice);
    }

    WorkerWatch(Worker worker, WorkerObservation observed, Notices notices) {
        this.worker = worker;
        this.observed = observed;
        this.notices = notices;
    }

    void start() {
        errorsSeen = worker.localErrors();
        timer.scheduleWithFixedDelay(this::look, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The progress notice; null when no sync runs. */
    private NvWriter progressNotice() {
        SyncProgress progress = worker.syncProgress();
        if (!progress.active()) {
            syncing = false;
            return null;
        }
        long now = System.nanoTime();
        if (!syncing) {
            syncing = true;
            progressLog.restart(now - progress.elapsedNanos());
        }
        String line = progressLog.lineFor(progress, now);
        if (line != null) {
            LOG.info(line);
        }
        return new NvWriter()
                .addString("notice", "sync-progress")
                .addString("direction", progress.direction())
                .addUint64("done", progress.doneBytes())
                .addUint64("total", progress.totalBytes())
                .addUint64("rate", progress.bytesPerSecond())
                .addInt64("eta", progress.etaSeconds());
    }

    private void look() {
        long errors = worker.localErrors();
        if (errors > errorsSeen) {
            long added = errors - errorsSeen;
            errorsSeen = errors;
            observed.error("local I/O error", System.currentTimeMillis());
            notices.send(() -> new NvWriter().addString("notice", "io-error").addUint64("count", added));
        }
        notices.send(this::progressNotice);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
