package org.hast.activemap;

import java.util.Arrays;

/**
 * The mutual exclusion between regular writes and synchronisation steps (spec §7.7, §11.2):
 * a sync step must not copy a range while a regular write to it is in flight, and a regular
 * write must not start while a sync step holds its range. Online verify steps (ours,
 * docs/integrity.md) exclude both: a comparison must see neither a write nor a copy half done.
 * Ranges of the same kind may overlap freely (the kernel may have overlapping writes in
 * flight); ranges of different kinds never do.
 *
 * <p>The reference keeps two {@code rangelock} lists and has each thread sleep until the
 * other list has no overlap. This class is only the data structure: {@link #tryLock} either
 * records the range or says it conflicts, and the caller decides how to wait (and wakes
 * waiters after {@link #unlock}). Not thread-safe: the caller holds its own lock around
 * every call. Storage grows by doubling when more ranges are held than the initial
 * capacity (hastd holds at most one per request slot, so size it to the slot count).
 */
public final class RangeLocks {
    /** Who holds a range. */
    public enum Kind {
        /** A regular WRITE from the kernel (or an NBD client). */
        REGULAR,
        /** A synchronisation step. */
        SYNC,
        /** An online verify step: compares the two copies of the range. */
        VERIFY;

        /** Without the copy {@code values()} makes: tryLock is on every write's path. */
        private static final Kind[] ALL = values();
    }

    private final Ranges[] byKind = new Ranges[Kind.ALL.length];

    /** @param initialCapacity ranges of each kind held without growing, e.g. 256 */
    public RangeLocks(int initialCapacity) {
        if (initialCapacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + initialCapacity);
        }
        for (Kind k : Kind.ALL) {
            byKind[k.ordinal()] = new Ranges(initialCapacity);
        }
    }

    /**
     * Records {@code [offset, offset+length)} as held by {@code kind} unless a range of
     * another kind overlaps it. Returns false (recording nothing) on a conflict; the caller
     * waits for an {@link #unlock} of another kind and tries again.
     */
    public boolean tryLock(Kind kind, long offset, long length) {
        checkRange(offset, length);
        if (heldByOthers(kind, offset, length)) {
            return false;
        }
        byKind[kind.ordinal()].add(offset, offset + length);
        return true;
    }

    /** Records the range without any check ({@code rangelock_add}). */
    public void lock(Kind kind, long offset, long length) {
        checkRange(offset, length);
        byKind[kind.ordinal()].add(offset, offset + length);
    }

    /**
     * Releases one range of {@code kind} with exactly this offset and length
     * ({@code rangelock_del}).
     *
     * @throws IllegalStateException if no such range is held
     */
    public void unlock(Kind kind, long offset, long length) {
        checkRange(offset, length);
        if (!byKind[kind.ordinal()].remove(offset, offset + length)) {
            throw new IllegalStateException(kind + " range " + offset + "+" + length
                    + " is not locked");
        }
    }

    /**
     * Whether a range held by {@code kind} overlaps {@code [offset, offset+length)}
     * ({@code rangelock_islocked}: {@code start < end' && end > offset'}).
     */
    public boolean overlaps(Kind kind, long offset, long length) {
        checkRange(offset, length);
        return byKind[kind.ordinal()].overlaps(offset, offset + length);
    }

    /** Whether a range held by any kind but {@code kind} overlaps {@code [offset, offset+length)}. */
    public boolean heldByOthers(Kind kind, long offset, long length) {
        checkRange(offset, length);
        for (Kind other : Kind.ALL) {
            if (other != kind && byKind[other.ordinal()].overlaps(offset, offset + length)) {
                return true;
            }
        }
        return false;
    }

    /** Ranges currently held by {@code kind}. */
    public int held(Kind kind) {
        return byKind[kind.ordinal()].count;
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
    }

    /** Unordered [start, end) pairs; removal swaps the last pair into the hole. */
    private static final class Ranges {
        private long[] start;
        private long[] end;
        private int count;

        Ranges(int capacity) {
            start = new long[capacity];
            end = new long[capacity];
        }

        void add(long s, long e) {
            if (count == start.length) {
                start = Arrays.copyOf(start, count * 2);
                end = Arrays.copyOf(end, count * 2);
            }
            start[count] = s;
            end[count] = e;
            count++;
        }

        boolean remove(long s, long e) {
            for (int i = 0; i < count; i++) {
                if (start[i] == s && end[i] == e) {
                    count--;
                    start[i] = start[count];
                    end[i] = end[count];
                    return true;
                }
            }
            return false;
        }

        boolean overlaps(long s, long e) {
            for (int i = 0; i < count; i++) {
                if (start[i] < e && end[i] > s) {
                    return true;
                }
            }
            return false;
        }
    }
}
