package org.hast.secondary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.secondary.ApplyOrder.Kind;
import org.junit.jupiter.api.Test;

/** The admission rules of parallel apply, one request at a time in arrival order. */
class ApplyOrderTest {
    private final ApplyOrder order = new ApplyOrder(4);

    @Test
    void disjointWritesAndOverlappingReadsRunTogether() {
        int first = order.tryAdmit(Kind.WRITE, 0, 4096);
        assertTrue(first >= 0);
        assertTrue(order.tryAdmit(Kind.WRITE, 4096, 4096) >= 0, "adjacent ranges do not overlap");
        assertTrue(order.tryAdmit(Kind.READ, 65536, 4096) >= 0);
        assertTrue(order.tryAdmit(Kind.READ, 65536, 512) >= 0, "reads never conflict with reads");
        assertEquals(-1, order.tryAdmit(Kind.READ, 1 << 20, 512), "four slots, all in use");
        order.finish(first);
        assertTrue(order.tryAdmit(Kind.READ, 1 << 20, 512) >= 0);
    }

    @Test
    void overlapsWaitForTheEarlierRequest() {
        int write = order.tryAdmit(Kind.WRITE, 8192, 4096);
        assertEquals(-1, order.tryAdmit(Kind.WRITE, 12288 - 512, 4096), "write over an earlier write");
        assertEquals(-1, order.tryAdmit(Kind.READ, 8192, 512), "read of an earlier write");
        assertEquals(-1, order.tryAdmit(Kind.WRITE, 0, 8193), "DELETE-sized range reaching into it");
        order.finish(write);
        int read = order.tryAdmit(Kind.READ, 8192, 512);
        assertTrue(read >= 0);
        assertEquals(-1, order.tryAdmit(Kind.WRITE, 8000, 4096), "write over an earlier read");
        order.finish(read);
        assertTrue(order.tryAdmit(Kind.WRITE, 8000, 4096) >= 0);
    }

    @Test
    void aFlushWaitsForEverythingEarlierAndHoldsEverythingLater() {
        int write = order.tryAdmit(Kind.WRITE, 0, 4096);
        int read = order.tryAdmit(Kind.READ, 1 << 20, 4096);
        assertEquals(-1, order.tryAdmit(Kind.BARRIER, 0, 0));
        order.finish(write);
        assertEquals(-1, order.tryAdmit(Kind.BARRIER, 0, 0), "a read is still in flight");
        order.finish(read);
        int flush = order.tryAdmit(Kind.BARRIER, 0, 0);
        assertTrue(flush >= 0);
        assertEquals(-1, order.tryAdmit(Kind.READ, 1 << 30, 512), "nothing passes a flush");
        assertEquals(-1, order.tryAdmit(Kind.NONE, 0, 0));
        order.finish(flush);
        assertNotEquals(-1, order.tryAdmit(Kind.READ, 1 << 30, 512));
    }

    @Test
    void rejectedRequestsConflictWithNothingButFlushes() {
        order.tryAdmit(Kind.WRITE, 0, 4096);
        assertTrue(order.tryAdmit(Kind.NONE, 0, 4096) >= 0);
    }
}
