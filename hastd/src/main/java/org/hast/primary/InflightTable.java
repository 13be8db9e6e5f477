package org.hast.primary;

/**
 * The requests awaiting a reply from the secondary, by sequence number: an open-addressing
 * table of primitive keys, so that sending and matching a request allocates nothing (no boxed
 * key, no map node). Sequence numbers are consecutive, so the low bits spread them evenly.
 * At most a few hundred requests are in flight (the pipeline's slots); the table only grows
 * past that if more ever are. Short critical sections, never across I/O.
 */
final class InflightTable {
    private long[] seqs;
    private Hio[] hios;
    private int mask;
    private int size;

    InflightTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(expected, 8) * 4 - 1);
        allocate(capacity);
    }

    synchronized int size() {
        return size;
    }

    synchronized boolean isEmpty() {
        return size == 0;
    }

    synchronized void put(long seq, Hio hio) {
        if ((size + 1) * 2 > hios.length) {
            grow();
        }
        int i = find(seq);
        if (hios[i] == null) {
            size++;
        }
        seqs[i] = seq;
        hios[i] = hio;
    }

    synchronized Hio get(long seq) {
        return hios[find(seq)];
    }

    /**
     * The memsync write sent as {@code seq}, held from completing ({@link Hio#holdComponent})
     * until its caller calls {@link Hio#componentDone}; null when none is in flight as {@code seq}.
     * Taken under the table's lock: while the request is in the table its remote part is still
     * pending, and nobody can remove it meanwhile to complete it and recycle its Hio.
     */
    synchronized Hio holdMemsync(long seq) {
        Hio hio = hios[find(seq)];
        if (hio == null || !hio.memsync) {
            return null;
        }
        hio.holdComponent();
        return hio;
    }

    /** Removes and returns the request sent as {@code seq}; null when there is none. */
    synchronized Hio remove(long seq) {
        int i = find(seq);
        Hio hio = hios[i];
        if (hio != null) {
            delete(i);
        }
        return hio;
    }

    /** Removes {@code seq} only while it still maps to {@code hio}; whether it did. */
    synchronized boolean remove(long seq, Hio hio) {
        int i = find(seq);
        if (hios[i] != hio || hio == null) {
            return false;
        }
        delete(i);
        return true;
    }

    /** Removes and returns any request; null when the table is empty (for the sweep after a disconnect). */
    synchronized Hio removeAny() {
        for (int i = 0; i < hios.length; i++) {
            Hio hio = hios[i];
            if (hio != null) {
                delete(i);
                return hio;
            }
        }
        return null;
    }

    /** The slot holding {@code seq}, or the empty slot where it would go. */
    private int find(long seq) {
        int i = (int) seq & mask;
        while (hios[i] != null && seqs[i] != seq) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Empties slot {@code i} and moves later entries of its probe run back, so lookups never stop early. */
    private void delete(int i) {
        size--;
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (hios[j] == null) {
                break;
            }
            int home = (int) seqs[j] & mask;
            // Move entry j into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                seqs[hole] = seqs[j];
                hios[hole] = hios[j];
                hole = j;
            }
        }
        hios[hole] = null;
    }

    private void grow() {
        long[] oldSeqs = seqs;
        Hio[] oldHios = hios;
        allocate(hios.length * 2);
        for (int i = 0; i < oldHios.length; i++) {
            if (oldHios[i] != null) {
                int at = find(oldSeqs[i]);
                seqs[at] = oldSeqs[i];
                hios[at] = oldHios[i];
            }
        }
    }

    private void allocate(int capacity) {
        seqs = new long[capacity];
        hios = new Hio[capacity];
        mask = capacity - 1;
    }
}
