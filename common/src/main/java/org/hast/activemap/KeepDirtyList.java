package org.hast.activemap;

/**
 * The keepdirty list of spec §7.3: the most recently written extents, at most {@code limit},
 * most recent first. Extents on it stay dirty on disk after their writes complete, which saves
 * two bitmap writes per write to a hot extent.
 *
 * <p>An intrusive doubly linked list over int arrays, preallocated to the limit: slots
 * {@code 0 .. size-1} are always in use (eviction reuses the tail's slot), so nothing is
 * allocated after construction. Lookup scans the slots like the reference scans its list;
 * the limit is small (64 by default).
 */
final class KeepDirtyList {
    private static final int NIL = -1;

    private final int[] extent;
    private final int[] prev;
    private final int[] next;
    private int head = NIL;
    private int tail = NIL;
    private int size;

    KeepDirtyList(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("keepdirty must be positive: " + limit);
        }
        extent = new int[limit];
        prev = new int[limit];
        next = new int[limit];
    }

    int size() {
        return size;
    }

    boolean contains(int ext) {
        return find(ext) != NIL;
    }

    /**
     * Moves {@code ext} to the head, inserting it if absent (evicting the least recently
     * used extent when full). Returns true iff it was inserted, i.e. the on-disk bitmap
     * changes.
     */
    boolean touch(int ext) {
        int slot = find(ext);
        if (slot != NIL) {
            if (slot != head) {
                unlink(slot);
                linkHead(slot);
            }
            return false;
        }
        if (size == extent.length) {
            slot = tail;
            unlink(slot);
        } else {
            slot = size++;
        }
        extent[slot] = ext;
        linkHead(slot);
        return true;
    }

    /** Sets the bit of every listed extent in {@code words}. */
    void fill(long[] words) {
        for (int i = 0; i < size; i++) {
            ExtentBits.set(words, extent[i]);
        }
    }

    /** The listed extents, most recent first (allocates; for tests and diagnostics). */
    int[] toArray() {
        int[] out = new int[size];
        int i = 0;
        for (int s = head; s != NIL; s = next[s]) {
            out[i++] = extent[s];
        }
        return out;
    }

    private int find(int ext) {
        for (int i = 0; i < size; i++) {
            if (extent[i] == ext) {
                return i;
            }
        }
        return NIL;
    }

    private void unlink(int slot) {
        int p = prev[slot];
        int n = next[slot];
        if (p != NIL) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n != NIL) {
            prev[n] = p;
        } else {
            tail = p;
        }
    }

    private void linkHead(int slot) {
        prev[slot] = NIL;
        next[slot] = head;
        if (head != NIL) {
            prev[head] = slot;
        } else {
            tail = slot;
        }
        head = slot;
    }
}
