package org.hast.primary;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.hast.activemap.RangeLocks;

/**
 * Regular writes against synchronisation and verify steps (spec §7.7, docs/integrity.md): a
 * write never runs beside a step on its range, and a sync step never beside a verify step. A
 * write that finds a step is parked and restarted when the step ends; a step waits (on the sync
 * or verify thread, never an event loop) until no range of another kind overlaps its own.
 */
final class SyncRanges {
    /** Guarded by itself. */
    private final RangeLocks ranges;
    /** Regular writes that found a step on their range; guarded by {@link #ranges}. */
    private final ArrayDeque<Hio> parked = new ArrayDeque<>();

    SyncRanges(int slots) {
        ranges = new RangeLocks(slots);
    }

    /** Locks the write's range; false when a step holds it and the write is parked instead. */
    boolean lockOrPark(Hio write) {
        synchronized (ranges) {
            if (ranges.tryLock(RangeLocks.Kind.REGULAR, write.offset, write.length)) {
                return true;
            }
            parked.add(write);
            return false;
        }
    }

    /** The write is answered: a sync step may be waiting for its range. */
    void unlock(Hio write) {
        synchronized (ranges) {
            ranges.unlock(RangeLocks.Kind.REGULAR, write.offset, write.length);
            ranges.notifyAll();
        }
    }

    /**
     * Waits until nothing of another kind holds the range and locks it for a step of {@code kind}
     * ({@code SYNC} or {@code VERIFY}); false once {@code closed}.
     */
    boolean lockForStep(RangeLocks.Kind kind, long offset, int length, BooleanSupplier closed)
            throws InterruptedException {
        synchronized (ranges) {
            while (!ranges.tryLock(kind, offset, length)) {
                if (closed.getAsBoolean()) {
                    return false;
                }
                ranges.wait(1000);
            }
            return true;
        }
    }

    /**
     * The step is over: unlocks its range, wakes steps of the other kind waiting for it and
     * returns the parked writes no step holds any more.
     */
    List<Hio> unlockStep(RangeLocks.Kind kind, long offset, int length) {
        List<Hio> restart = new ArrayList<>();
        synchronized (ranges) {
            ranges.unlock(kind, offset, length);
            ranges.notifyAll();
            for (Iterator<Hio> it = parked.iterator(); it.hasNext();) {
                Hio hio = it.next();
                if (!ranges.heldByOthers(RangeLocks.Kind.REGULAR, hio.offset, hio.length)) {
                    it.remove();
                    restart.add(hio);
                }
            }
        }
        return restart;
    }

    /** Closing: wakes waiting steps and returns every parked write, for the caller to fail. */
    List<Hio> drainParked() {
        synchronized (ranges) {
            List<Hio> waiting = new ArrayList<>(parked);
            parked.clear();
            ranges.notifyAll();
            return waiting;
        }
    }
}
