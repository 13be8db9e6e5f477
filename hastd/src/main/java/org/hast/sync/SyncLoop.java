package org.hast.sync;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import org.hast.primary.DirtyMap;
import org.hast.primary.PrimaryPipeline;
import org.hast.util.HumanNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's synchronisation thread (spec §7.7): after every connect it walks the dirty
 * extents and copies each from the sync source to the other node, a few steps at a time, and
 * when nothing is left equalises the counters. Unlike the reference (one step at a time) up to
 * {@link #WINDOW} steps of one extent are in flight; the extent is reported clean only once all
 * of its steps have finished, so the on-disk bitmap never loses an extent the secondary does
 * not have yet. A failed step leaves its extent dirty for a later pass (A7).
 */
public final class SyncLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);
    static final int WINDOW = 8;
    private static final int EVENT_SYNCSTART = 3;
    private static final int EVENT_SYNCDONE = 4;
    private static final int EVENT_SYNCINTR = 5;

    /** Run once the nodes are in sync: counters from the handshake, direct reads. */
    public interface Completion {
        void nodesInSync();
    }

    private final DirtyMap dirty;
    private final PrimaryPipeline pipeline;
    private final IntConsumer events;
    private final Thread thread;
    private final Object lock = new Object();
    /** Bumped by every connect and disconnect: a pass belongs to one connection. */
    private long generation;
    private boolean requested;
    private boolean fromSecondary;
    private Completion completion;
    private volatile boolean closed;
    private final AtomicLong syncedTotal = new AtomicLong();

    public SyncLoop(DirtyMap dirty, PrimaryPipeline pipeline, IntConsumer events) {
        this.dirty = dirty;
        this.pipeline = pipeline;
        this.events = events;
        this.thread = new Thread(this::run, "sync");
        thread.setDaemon(true);
        thread.start();
    }

    /** A connection is up (A26: after every connect): synchronise from the given source. */
    public void start(boolean secondaryIsSource, Completion whenInSync) {
        synchronized (lock) {
            generation++;
            requested = true;
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
            lock.notifyAll();
        }
    }

    /** Bytes copied by synchronisation since the worker started. */
    public long syncedBytes() {
        return syncedTotal.get();
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
        AtomicInteger failures = new AtomicInteger();
        Semaphore window = new Semaphore(WINDOW);
        while (true) {
            if (!current(pass)) {
                drain(window);
                interrupted(started, synced.get());
                return;
            }
            DirtyMap.SyncStep step = dirty.nextSyncStep();
            if (step.finishedExtent() >= 0) {
                // Every step of the extent must have finished before it may become clean.
                drain(window);
                dirty.extentComplete(step.finishedExtent());
            }
            if (step.offset() < 0) {
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
            window.acquire();
            long offset = step.offset();
            int length = step.length();
            pipeline.syncCopy(offset, length, source, errno -> {
                if (errno != 0) {
                    failures.incrementAndGet();
                    dirty.syncFailed(offset);
                } else {
                    synced.addAndGet(length);
                    syncedTotal.addAndGet(length);
                }
                window.release();
            });
        }
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        long bytes = synced.get();
        LOG.info("Synchronization complete. {}B synchronized in {} ({}B/sec).", HumanNumber.humanize(bytes),
                elapsed(started), HumanNumber.humanize((long) (bytes / seconds)));
        events.accept(EVENT_SYNCDONE);
        done.nodesInSync();
    }

    private void interrupted(long started, long bytes) {
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
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
