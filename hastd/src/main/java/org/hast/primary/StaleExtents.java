package org.hast.primary;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

import org.hast.daemon.process.FatalThreads;
import org.hast.local.StaleExtentsFile;
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extents whose local copy is older than the secondary's (decision A10: a local write failed
 * while the remote one succeeded). Reads of them are served by the secondary and the sync loop
 * copies them from the secondary until they are clean again.
 *
 * <p>The set survives a restart through a {@link StaleExtentsFile}, written by one thread of
 * its own (never an I/O or event-loop thread): a new stale extent is on disk before the write
 * that made it stale is acknowledged ({@link #mark}), and a write to an extent whose repair is
 * not on disk yet waits until it is ({@link #whenSettled}), so a restart never copies the
 * secondary's older version over a newer local write.
 */
public final class StaleExtents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StaleExtents.class);
    private static final int EIO = 5;

    private final Set<Integer> extents = ConcurrentHashMap.newKeySet();
    private final int extentSize;
    private final StaleExtentsFile file;
    private final LongSupplier resUid;

    private final Object lock = new Object();
    private long requested;
    private long written;
    private boolean closed;
    /** Repaired extents whose removal is not on disk yet, with the write that removes them. */
    private final Map<Integer, Long> removals = new HashMap<>();
    private volatile boolean removalsPending;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private final Thread writer;

    private record Waiter(long generation, IntConsumer then) {
    }

    /** @param file where the set is kept; null keeps it in memory only (tests) */
    public StaleExtents(int extentSize, StaleExtentsFile file, LongSupplier resUid) {
        this.extentSize = extentSize;
        this.file = file;
        this.resUid = resUid;
        this.writer = FatalThreads.start("stale-extents", this::writeLoop);
    }

    /** Extents found stale at start-up (already on disk). */
    public void restore(BitSet loaded) {
        loaded.stream().forEach(extents::add);
    }

    public int count() {
        return extents.size();
    }

    /**
     * The range's local copy is stale: its extents are read from the secondary from now on, and
     * {@code then} gets 0 once that is on disk, or EIO when it could not be stored.
     */
    void mark(long offset, long length, IntConsumer then) {
        for (long e = offset / extentSize; e <= (offset + length - 1) / extentSize; e++) {
            extents.add((int) e);
        }
        request(then);
    }

    /** Whether any extent of the range is stale; cheap while none is. */
    boolean anyIn(long offset, long length) {
        if (extents.isEmpty()) {
            return false;
        }
        for (long e = offset / extentSize; e <= (offset + length - 1) / extentSize; e++) {
            if (extents.contains((int) e)) {
                return true;
            }
        }
        return false;
    }

    /** The extent is clean again; true if it had been stale (its removal is then stored). */
    boolean repaired(int extent) {
        if (!extents.remove(extent)) {
            return false;
        }
        synchronized (lock) {
            long generation = ++requested;
            removals.put(extent, generation);
            removalsPending = true;
            lock.notifyAll();
        }
        return true;
    }

    /** The secondary lost the newer copies (it was re-created): nothing left to repair from. */
    int forgetAll() {
        int count = extents.size();
        extents.clear();
        request(null);
        return count;
    }

    /** Whether a repair is not on disk yet (then a write may have to wait: {@link #whenSettled}). */
    boolean repairsPending() {
        return removalsPending;
    }

    /**
     * Runs {@code then} once no extent of the range still has a repair that is not on disk:
     * at once (on this thread) in the usual case.
     */
    void whenSettled(long offset, long length, Runnable then) {
        if (!removalsPending) {
            then.run();
            return;
        }
        synchronized (lock) {
            long waitFor = 0;
            for (long e = offset / extentSize; e <= (offset + length - 1) / extentSize; e++) {
                Long generation = removals.get((int) e);
                if (generation != null) {
                    waitFor = Math.max(waitFor, generation);
                }
            }
            if (waitFor > written) {
                waiters.add(new Waiter(waitFor, errno -> then.run()));
                return;
            }
        }
        then.run();
    }

    private void request(IntConsumer then) {
        synchronized (lock) {
            long generation = ++requested;
            if (then != null) {
                waiters.add(new Waiter(generation, then));
            }
            lock.notifyAll();
        }
    }

    private void writeLoop() {
        while (true) {
            long target;
            synchronized (lock) {
                while (!closed && requested == written) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (requested == written) {
                    return;
                }
                target = requested;
            }
            // Taken after the generation: whatever was asked for up to target is in it.
            BitSet snapshot = new BitSet();
            extents.forEach(snapshot::set);
            int errno = 0;
            if (file != null) {
                try {
                    file.store(resUid.getAsLong(), extentSize, snapshot);
                } catch (IOException | RuntimeException e) {
                    LOG.error("Unable to store the stale extents in {}: {}.", file.path(), e.getMessage());
                    errno = EIO;
                }
            }
            ArrayDeque<IntConsumer> ready = new ArrayDeque<>();
            synchronized (lock) {
                written = target;
                removals.values().removeIf(generation -> generation <= target);
                removalsPending = !removals.isEmpty();
                for (Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    if (w.generation() <= target) {
                        ready.add(w.then());
                        it.remove();
                    }
                }
            }
            for (IntConsumer then : ready) {
                try {
                    then.accept(errno);
                } catch (RuntimeException e) {
                    LOG.error("Continuation after storing the stale extents failed.", e);
                }
            }
        }
    }

    /** Stores what is pending, then stops the writer. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        ThreadEnds.awaitBriefly(writer);
    }
}
