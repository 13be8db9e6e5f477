package org.hast.activemap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.activemap.RangeLocks.Kind;
import org.junit.jupiter.api.Test;

/** The regular-versus-sync range exclusion of spec §7.7 / §11.2, and verify steps against both. */
class RangeLocksTest {
    @Test
    void onlyTheOtherKindConflicts() {
        RangeLocks locks = new RangeLocks(4);
        assertTrue(locks.tryLock(Kind.REGULAR, 0, 4096));
        assertTrue(locks.tryLock(Kind.REGULAR, 1024, 4096), "regular writes may overlap");
        assertFalse(locks.tryLock(Kind.SYNC, 4096, 1 << 20), "overlaps [1024, 5120)");
        assertEquals(0, locks.held(Kind.SYNC), "a refused lock records nothing");
        assertTrue(locks.tryLock(Kind.SYNC, 5120, 1 << 20), "adjacent is fine");
        assertFalse(locks.tryLock(Kind.REGULAR, 5119 + (1 << 20), 1), "last byte of the sync range");
        assertTrue(locks.tryLock(Kind.REGULAR, 5120 + (1 << 20), 512));
        locks.unlock(Kind.REGULAR, 1024, 4096);
        assertTrue(locks.overlaps(Kind.REGULAR, 0, 1));
        assertFalse(locks.overlaps(Kind.REGULAR, 4096, 1024));
        assertTrue(locks.tryLock(Kind.SYNC, 4096, 1024));
        assertEquals(2, locks.held(Kind.REGULAR));
        assertEquals(2, locks.held(Kind.SYNC));
    }

    /** Online verify (docs/integrity.md): a verify step excludes regular writes and sync steps alike. */
    @Test
    void verifyExcludesBothOtherKinds() {
        RangeLocks locks = new RangeLocks(4);
        assertTrue(locks.tryLock(Kind.VERIFY, 0, 131072));
        assertFalse(locks.tryLock(Kind.SYNC, 65536, 131072), "a copy of a range under comparison");
        assertFalse(locks.tryLock(Kind.REGULAR, 4096, 4096));
        assertTrue(locks.heldByOthers(Kind.REGULAR, 0, 1));
        assertFalse(locks.heldByOthers(Kind.VERIFY, 0, 131072), "its own kind does not count");
        assertTrue(locks.tryLock(Kind.SYNC, 131072, 131072), "adjacent is fine");
        assertFalse(locks.tryLock(Kind.VERIFY, 131071, 2), "a comparison of a range being copied");
        locks.unlock(Kind.VERIFY, 0, 131072);
        assertTrue(locks.tryLock(Kind.REGULAR, 4096, 4096));
        assertFalse(locks.tryLock(Kind.VERIFY, 0, 8192), "a write in flight");
    }

    @Test
    void unlockNeedsAnExactMatch() {
        RangeLocks locks = new RangeLocks(2);
        locks.lock(Kind.SYNC, 100, 50);
        locks.lock(Kind.SYNC, 100, 50);
        assertThrows(IllegalStateException.class, () -> locks.unlock(Kind.SYNC, 100, 49));
        assertThrows(IllegalStateException.class, () -> locks.unlock(Kind.REGULAR, 100, 50));
        locks.unlock(Kind.SYNC, 100, 50);
        assertTrue(locks.overlaps(Kind.SYNC, 149, 1), "the duplicate is still held");
        locks.unlock(Kind.SYNC, 100, 50);
        assertFalse(locks.overlaps(Kind.SYNC, 0, 1000));
        assertThrows(IllegalArgumentException.class, () -> locks.tryLock(Kind.SYNC, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RangeLocks(0));
    }

    @Test
    void growsBeyondItsInitialCapacity() {
        RangeLocks locks = new RangeLocks(1);
        for (int i = 0; i < 300; i++) {
            assertTrue(locks.tryLock(Kind.REGULAR, i * 4096L, 4096));
        }
        assertEquals(300, locks.held(Kind.REGULAR));
        assertFalse(locks.tryLock(Kind.SYNC, 299 * 4096L, 1));
        for (int i = 0; i < 300; i += 2) {
            locks.unlock(Kind.REGULAR, i * 4096L, 4096);
        }
        assertTrue(locks.tryLock(Kind.SYNC, 0, 4096));
        assertFalse(locks.tryLock(Kind.SYNC, 4096, 4096));
    }
}
