package org.hast.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.hast.role.SyncProgress;

/** Issue #16 item 4: a progress line at most every 10 s and every 10 points, whichever is later. */
class ProgressLogTest {
    private static final long S = 1_000_000_000L;
    private static final long MIB = 1 << 20;

    private static SyncProgress at(long doneMib, long remainingMib, long seconds) {
        return new SyncProgress(true, false, doneMib * MIB, remainingMib * MIB, seconds * S);
    }

    @Test
    void aLineNeedsBothTenSecondsAndTenPoints() {
        ProgressLog log = new ProgressLog();
        log.restart(0);
        assertNull(log.lineFor(at(500, 500, 5), 5 * S), "50 % after 5 s: too early");
        assertLine("50%", "ETA 10s.", log.lineFor(at(500, 500, 10), 10 * S));
        assertNull(log.lineFor(at(550, 450, 30), 30 * S), "5 points later: too little");
        assertLine("60%", "ETA 27s.", log.lineFor(at(600, 400, 40), 40 * S));
        assertNull(log.lineFor(at(700, 300, 45), 45 * S), "10 points but 5 s later: too early");
    }

    private static void assertLine(String percent, String eta, String line) {
        org.junit.jupiter.api.Assertions.assertNotNull(line, "a line was due");
        org.junit.jupiter.api.Assertions.assertTrue(line.startsWith("Synchronization in progress: " + percent + " (")
                && line.contains("B/sec, ") && line.endsWith(eta), line);
    }

    @Test
    void idleOrUnknownRate() {
        ProgressLog log = new ProgressLog();
        log.restart(0);
        assertNull(log.lineFor(SyncProgress.IDLE, 60 * S));
        SyncProgress noTime = new SyncProgress(true, true, 0, 10 * MIB, 0);
        assertEquals(-1, noTime.etaSeconds());
        assertEquals("secondary-to-primary", noTime.direction());
        assertEquals(0.0, noTime.percent());
        assertEquals(100.0, new SyncProgress(true, false, 5, 0, S).percent());
    }
}
