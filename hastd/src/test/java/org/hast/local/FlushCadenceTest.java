package org.hast.local;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A write is written back at once only while the client flushes after every few writes. */
class FlushCadenceTest {

    @Test
    void nothingIsWrittenBackBeforeTheClientFlushed() {
        FlushCadence cadence = new FlushCadence();
        for (int i = 0; i < 3; i++) {
            assertFalse(cadence.written(), "write " + i);
        }
    }

    @Test
    void aFlushAfterEachWriteHasEveryWriteWrittenBack() {
        FlushCadence cadence = new FlushCadence();
        assertFalse(cadence.written());
        cadence.flushed();
        for (int i = 0; i < 5; i++) {
            assertTrue(cadence.written(), "write " + i);
            cadence.flushed();
        }
    }

    @Test
    void aLongIntervalOrALongRunOfWritesEndsIt() {
        FlushCadence cadence = new FlushCadence();
        cadence.flushed();
        for (int i = 0; i < FlushCadence.MAX_WRITES; i++) {
            assertTrue(cadence.written(), "write " + i + " of a short interval");
        }
        assertFalse(cadence.written(), "one write more than a short interval holds");
        cadence.flushed();   // ended an interval of MAX_WRITES + 1 writes
        assertFalse(cadence.written(), "after a long interval");
        cadence.flushed();   // an interval of one write: the cadence is back
        assertTrue(cadence.written());
    }
}
