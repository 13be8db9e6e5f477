package org.hast.secondary;

/**
 * Which requests the secondary may apply at the same time, so that running them in parallel
 * leaves the disk as applying them one by one in arrival order would: a write (or DELETE) waits
 * for every earlier request in flight whose range overlaps its own, a read for the earlier
 * overlapping writes, and a FLUSH for everything earlier, which also waits for it. Requests are
 * admitted in arrival order, so the only earlier requests a new one can meet are those in
 * flight. One slot per applier thread; the monitor is never held across I/O.
 */
final class ApplyOrder {
    /** What a request does to the disk, for conflicts. */
    enum Kind {
        /** Answered without touching the disk (a rejected request). */
        NONE,
        READ,
        /** WRITE and DELETE. */
        WRITE,
        /** FLUSH: every earlier write before it, every later request after it. */
        BARRIER
    }

    private final Kind[] kinds;
    private final long[] starts;
    private final long[] ends;
    /** Tests: runs (under the monitor) when a request has to wait for an earlier one. */
    private volatile Runnable onWait = () -> { };

    ApplyOrder(int slots) {
        kinds = new Kind[slots];
        starts = new long[slots];
        ends = new long[slots];
    }

    int slots() {
        return kinds.length;
    }

    void setOnWait(Runnable hook) {
        this.onWait = hook;
    }

    /** Waits until the request may start beside those in flight; returns the slot it holds until {@link #finish}. */
    synchronized int admit(Kind kind, long offset, long length) throws InterruptedException {
        boolean waited = false;
        while (true) {
            int slot = tryAdmit(kind, offset, length);
            if (slot >= 0) {
                return slot;
            }
            if (!waited) {
                waited = true;
                onWait.run();
            }
            wait();
        }
    }

    /** The request may start now: its slot; otherwise -1 and nothing changes. */
    synchronized int tryAdmit(Kind kind, long offset, long length) {
        int free = -1;
        for (int slot = 0; slot < kinds.length; slot++) {
            Kind running = kinds[slot];
            if (running == null) {
                free = free < 0 ? slot : free;
            } else if (conflicts(running, starts[slot], ends[slot], kind, offset, offset + length)) {
                return -1;
            }
        }
        if (free >= 0) {
            kinds[free] = kind;
            starts[free] = offset;
            ends[free] = offset + length;
        }
        return free;
    }

    /** The request in {@code slot} is applied (and answered): those waiting for it may start. */
    synchronized void finish(int slot) {
        kinds[slot] = null;
        notifyAll();
    }

    private static boolean conflicts(Kind earlier, long earlierStart, long earlierEnd,
                                     Kind later, long laterStart, long laterEnd) {
        if (earlier == Kind.BARRIER || later == Kind.BARRIER) {
            return true;
        }
        if (earlier == Kind.NONE || later == Kind.NONE || (earlier == Kind.READ && later == Kind.READ)) {
            return false;
        }
        return earlierStart < laterEnd && laterStart < earlierEnd;
    }
}
