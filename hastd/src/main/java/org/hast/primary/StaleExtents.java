package org.hast.primary;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Extents whose local copy is older than the secondary's (decision A10: a local write failed
 * while the remote one succeeded). Reads of them are served by the secondary and the sync loop
 * copies them from the secondary until they are clean again. Kept in memory only: the on-disk
 * metadata has no place for a per-extent direction.
 */
final class StaleExtents {
    private final Set<Integer> extents = ConcurrentHashMap.newKeySet();
    private final int extentSize;

    StaleExtents(int extentSize) {
        this.extentSize = extentSize;
    }

    void add(long offset, long length) {
        for (long e = offset / extentSize; e <= (offset + length - 1) / extentSize; e++) {
            extents.add((int) e);
        }
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

    /** The extent is clean again; true if it had been stale. */
    boolean repaired(int extent) {
        return extents.remove(extent);
    }
}
