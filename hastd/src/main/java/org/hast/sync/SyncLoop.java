package org.hast.sync;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import org.hast.daemon.process.FatalThreads;
import org.hast.util.HumanNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.role.SyncProgress;
import org.hast.util.ThreadEnds;

/**
 * The primary's synchronisation thread (spec §7.7): after every connect it walks the dirty
 * extents and copies each from the sync source to the other node, a few steps at a time, and
 * when nothing is left equalises the counters. Unlike the reference (one step at a time) up to
 * {@link #WINDOW} steps are in flight, across extent boundaries: the cursor moves on to the
 * next extent while the last steps of the previous one are still on the wire, and an extent is
 * reported clean only when the last of its steps has finished ({@link ExtentSteps}), so the
 * on-disk bitmap never loses an extent the secondary does not have yet. (Waiting for the
 * window to drain at every extent boundary instead left the link idle for one round trip per
 * extent: about a tenth of a 1 Gbit/s link with 2 MiB extents.) A failed step leaves its
 * extent dirty for a later pass (A7). The activemap's cursor moves in 128 KiB steps; the steps
 * that follow on within one extent are joined into copies of up to
 * {@link SyncCopier#maxCopyBytes} (1 MiB with a secondary of ours).
 */
public final class SyncLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);
    /**
     * Sync steps in flight: 16 × 128 KiB covers the bandwidth-delay product of a LAN (16 MiB
     * with 1 MiB steps). The system property {@code hast.sync.window} (1..256) overrides it for
     * an A/B run.
     */
    static final int WINDOW = Math.max(1, Math.min(256, Integer.getInteger("hast.sync.window", 16)));
    private static final int EVENT_SYNCSTART = 3;
    private static final int EVENT_SYNCDONE = 4;
    private static final int EVENT_SYNCINTR = 5;

    /** Run once the nodes are in sync: counters from the handshake, direct reads. */
    public interface Completion {
        void nodesInSync();
    }

    private final DirtyMap dirty;
    private final SyncCopier pipeline;
    private final IntConsumer events;
    private final Thread thread;
    private final Object lock = new Object();
    /** Bumped by every connect and disconnect: a pass belongs to one connection. */
    private long generation;
    private boolean requested;
    private boolean linkUp;
    private boolean fromSecondary;
    private Completion completion;
    private volatile boolean closed;
    private final AtomicLong syncedTotal = new AtomicLong();
    /** The running pass, for {@link #progress()}: its copied bytes (null when none runs). */
    private volatile AtomicLong passSynced;
    private volatile long passStartedNanos;
    private volatile boolean passFromSecondary;
    /** {@code syncrate}: paces the steps; unlimited unless configured. */
    private volatile SyncRate rate = SyncRate.unlimited();

    public SyncLoop(DirtyMap dirty, SyncCopier pipeline, IntConsumer events) {
        this.dirty = dirty;
        this.pipeline = pipeline;
        this.events = events;
        this.thread = FatalThreads.start("sync", this::run);
    }

    /** A connection is up (A26: after every connect): synchronise from the given source. */
    public void start(boolean secondaryIsSource, Completion whenInSync) {
        synchronized (lock) {
            generation++;
            requested = true;
            linkUp = true;
            fromSecondary = secondaryIsSource;
            completion = whenInSync;
            lock.notifyAll();
        }
    }

    /** The connection is gone: the pass in progress stops. */
    public void interrupt() {
        synchronized (lock) {
            generation++;
            requested = false;
            linkUp = false;
            lock.notifyAll();
        }
    }

    /**
     * New extents to synchronise while the link is up (a failed remote write, a stale local
     * copy): another pass runs after the current one, on the same connection.
     */
    public void kick() {
        synchronized (lock) {
            if (linkUp && completion != null) {
                requested = true;
                lock.notifyAll();
            }
        }
    }

    /** {@code syncrate} (fixed or adaptive): steps start no faster than it allows. */
    public void setRate(SyncRate pacing) {
        this.rate = pacing;
    }

    /** Bytes copied by synchronisation since the worker started. */
    public long syncedBytes() {
        return syncedTotal.get();
    }

    /** Where the running pass stands; {@link SyncProgress#IDLE} between passes. */
    public SyncProgress progress() {
        AtomicLong synced = passSynced;
        if (synced == null) {
            return SyncProgress.IDLE;
        }
        return new SyncProgress(true, passFromSecondary, synced.get(), dirty.dirtyBytes(),
                System.nanoTime() - passStartedNanos);
    }

    private void run() {
        while (!closed) {
            long pass;
            boolean source;
            Completion done;
            synchronized (lock) {
                while (!requested && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                requested = false;
                pass = generation;
                source = fromSecondary;
                done = completion;
            }
            try {
                synchronise(pass, source, done);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("Synchronization failed.", e);
            } finally {
                passSynced = null;
            }
        }
    }

    private boolean current(long pass) {
        synchronized (lock) {
            return pass == generation && !closed;
        }
    }

    private void synchronise(long pass, boolean source, Completion done) throws InterruptedException {
        if (!dirty.syncRewind()) {
            LOG.info("Nodes are in sync.");
            done.nodesInSync();
            return;
        }
        LOG.info("Synchronization started. {}B to go.", HumanNumber.humanize(dirty.dirtyBytes()));
        events.accept(EVENT_SYNCSTART);
        long started = System.nanoTime();
        AtomicLong synced = new AtomicLong();
        passStartedNanos = started;
        passFromSecondary = source;
        passSynced = synced;
        AtomicInteger failures = new AtomicInteger();
        Semaphore window = new Semaphore(WINDOW);
        ExtentSteps current = null;
        int maxCopy = pipeline.maxCopyBytes();
        // A cursor step read ahead that could not join the copy before it.
        DirtyMap.SyncStep next = null;
        while (true) {
            if (!current(pass)) {
                drain(window);
                interrupted(started, synced.get());
                return;
            }
            DirtyMap.SyncStep step = next != null ? next : dirty.nextSyncStep();
            next = null;
            long offset = step.offset();
            if (current != null && (offset < 0 || offset / dirty.extentSize() != current.extent)) {
                // The cursor left the extent; it is clean once its steps in flight are done,
                // unless a step failed (then the cursor did not report it finished).
                current.cursorLeft(step.finishedExtent() == current.extent);
                current = null;
            }
            if (offset < 0) {
                drain(window);
                if (!current(pass)) {
                    interrupted(started, synced.get());
                    return;
                }
                if (dirty.syncPending()) {
                    if (failures.getAndSet(0) > 0) {
                        Thread.sleep(1000); // failed steps: do not spin on a broken disk
                    }
                    dirty.syncRewind();
                    continue;
                }
                break;
            }
            if (current == null) {
                current = new ExtentSteps((int) (offset / dirty.extentSize()));
            }
            int length = step.length();
            while (length < maxCopy) {
                // Steps that follow on in the same extent travel as one copy; the cursor
                // leaving the extent reports it (finishedExtent), so that step stays apart.
                next = dirty.nextSyncStep();
                if (next.offset() != offset + length || next.finishedExtent() >= 0
                        || length + next.length() > maxCopy) {
                    break;
                }
                length += next.length();
                next = null;
            }
            rate.acquire(length);
            window.acquire();
            ExtentSteps owner = current;
            owner.stepStarted();
            int copied = length;
            pipeline.syncCopy(offset, copied, source, errno -> {
                if (errno != 0) {
                    failures.incrementAndGet();
                    dirty.syncFailed(offset);
                } else {
                    synced.addAndGet(copied);
                    syncedTotal.addAndGet(copied);
                }
                owner.stepDone();
                window.release();
            });
        }
        passSynced = null; // before the end event: no progress may follow it
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        long bytes = synced.get();
        if (bytes > 0) {
            // Spec §7.7: the line and the event only when something was copied.
            LOG.info("Synchronization complete. {}B synchronized in {} ({}B/sec).", HumanNumber.humanize(bytes),
                    elapsed(started), HumanNumber.humanize((long) (bytes / seconds)));
            events.accept(EVENT_SYNCDONE);
        }
        done.nodesInSync();
    }

    /**
     * The steps of one extent in flight. The cursor holds one count until it leaves the
     * extent, each step one until it finishes; whoever drops the count to 0 completes the
     * extent, so this happens exactly once and only after every step of it finished.
     */
    private final class ExtentSteps {
        final int extent;
        private final AtomicInteger holds = new AtomicInteger(1);
        private volatile boolean finished;

        ExtentSteps(int extent) {
            this.extent = extent;
        }

        void stepStarted() {
            holds.incrementAndGet();
        }

        void stepDone() {
            release();
        }

        /** @param reportedFinished the cursor took the extent out of syncmap (no step failed) */
        void cursorLeft(boolean reportedFinished) {
            finished = reportedFinished;
            release();
        }

        private void release() {
            if (holds.decrementAndGet() == 0 && finished) {
                dirty.extentComplete(extent);
            }
        }
    }

    private void interrupted(long started, long bytes) {
        passSynced = null;
        LOG.info("Synchronization interrupted after {}. {}B synchronized so far.", elapsed(started),
                HumanNumber.humanize(bytes));
        events.accept(EVENT_SYNCINTR);
    }

    private static void drain(Semaphore window) throws InterruptedException {
        window.acquire(WINDOW);
        window.release(WINDOW);
    }

    private static String elapsed(long startedNanos) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        return ms < 1000 ? ms + "ms" : String.format("%.1fs", ms / 1000.0);
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        ThreadEnds.awaitBriefly(thread);
    }
}
