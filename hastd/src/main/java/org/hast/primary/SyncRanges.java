package org.hast.primary;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.hast.activemap.RangeLocks;

/**
 * Regular writes against synchronisation steps (spec §7.7): a write never runs beside a step on
 * its range. A write that finds one is parked and restarted when the step ends; a step waits
 * (on the sync thread) until no regular write holds its range.
 */
final class SyncRanges {
    /** Guarded by itself. */
    private final RangeLocks ranges;
    /** Regular writes that found a sync step on their range; guarded by {@link #ranges}. */
    private final ArrayDeque<Hio> parked = new ArrayDeque<>();

    SyncRanges(int slots) {
        ranges = new RangeLocks(slots);
    }

    /** Locks the write's range; false when a sync step holds it and the write is parked instead. */
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

    /** Waits until no regular write holds the range and locks it for a step; false once {@code closed}. */
    boolean lockForSync(long offset, int length, BooleanSupplier closed) throws InterruptedException {
        synchronized (ranges) {
            while (!ranges.tryLock(RangeLocks.Kind.SYNC, offset, length)) {
                if (closed.getAsBoolean()) {
                    return false;
                }
                ranges.wait(1000);
            }
            return true;
        }
    }

    /** The step is over: unlocks its range and returns the parked writes no step holds any more. */
    List<Hio> unlockSync(long offset, int length) {
        List<Hio> restart = new ArrayList<>();
        synchronized (ranges) {
            ranges.unlock(RangeLocks.Kind.SYNC, offset, length);
            for (Iterator<Hio> it = parked.iterator(); it.hasNext();) {
                Hio hio = it.next();
                if (!ranges.overlaps(RangeLocks.Kind.SYNC, hio.offset, hio.length)) {
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
