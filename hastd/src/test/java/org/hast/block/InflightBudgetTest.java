package org.hast.block;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class InflightBudgetTest {
    /** A waiter that records when it was granted. */
    private static final class Recorder implements InflightBudget.Waiter {
        final long bytes;
        final List<Recorder> log;

        Recorder(long bytes, List<Recorder> log) {
            this.bytes = bytes;
            this.log = log;
        }

        @Override
        public long wantedBytes() {
            return bytes;
        }

        @Override
        public void budgetGranted() {
            log.add(this);
        }
    }

    @Test
    void grantsInArrivalOrderAndSmallOnesDoNotOvertake() {
        InflightBudget budget = new InflightBudget(100); // main lane 88, fast lane 12
        List<Recorder> granted = new ArrayList<>();
        Recorder first = new Recorder(60, granted);
        assertTrue(budget.tryAcquire(60, first));
        Recorder big = new Recorder(70, granted);
        assertFalse(budget.tryAcquire(70, big), "60 + 70 > 88");
        Recorder small = new Recorder(10, granted);
        assertFalse(budget.tryAcquire(10, small), "would fit, but the big one came first");
        budget.release(60);
        assertEquals(List.of(big, small), granted, "both fit once 60 are back: in order");
        assertEquals(80, budget.used());
        budget.release(80);
        assertEquals(0, budget.used());
    }

    @Test
    void moreThanTheWholeBudgetIsAdmittedAlone() {
        InflightBudget budget = new InflightBudget(100);
        List<Recorder> granted = new ArrayList<>();
        Recorder held = new Recorder(1, granted);
        assertTrue(budget.tryAcquire(1, held));
        Recorder huge = new Recorder(500, granted);
        assertFalse(budget.tryAcquire(500, huge));
        Recorder next = new Recorder(1, granted);
        assertFalse(budget.tryAcquire(1, next));
        budget.release(1);
        assertEquals(List.of(huge), granted, "alone once nothing else is held; the next waits");
        budget.release(500);
        assertEquals(List.of(huge, next), granted);
        budget.release(1);
        assertEquals(0, budget.used());
    }

    @Test
    void fastLaneTakesSmallRequestsPastTheQueueUpToItsShare() {
        InflightBudget budget = new InflightBudget(64 << 10); // fast lane 8 KiB, requests up to 1 KiB
        List<Recorder> granted = new ArrayList<>();
        assertTrue(budget.tryAcquire(56 << 10, new Recorder(56 << 10, granted)));
        Recorder queued = new Recorder(1024, granted);
        assertFalse(budget.tryAcquire(1024, queued), "the main lane is full");
        for (int i = 0; i < 8; i++) {
            assertTrue(budget.tryAcquireSmall(1024), "small request " + i + " passes the queue");
        }
        assertFalse(budget.tryAcquireSmall(1024), "the fast lane is full");
        assertFalse(budget.tryAcquireSmall(2048), "too big for the fast lane");
        assertEquals(64 << 10, budget.used());
        budget.releaseSmall(8 * 1024);
        assertEquals(List.of(), granted, "the fast lane frees nothing for the main one");
        budget.release(56 << 10);
        assertEquals(List.of(queued), granted);
        budget.release(1024);
        assertEquals(0, budget.used());
    }

    @Test
    void withdrawnWaiterIsSkipped() {
        InflightBudget budget = new InflightBudget(10);
        List<Recorder> granted = new ArrayList<>();
        assertTrue(budget.tryAcquire(10, new Recorder(10, granted)));
        Recorder gone = new Recorder(5, granted);
        assertFalse(budget.tryAcquire(5, gone));
        assertTrue(budget.withdraw(gone));
        assertFalse(budget.withdraw(gone));
        budget.release(10);
        assertEquals(List.of(), granted);
        assertEquals(0, budget.used());
    }

    @Test
    void blockingAcquireWaitsForARelease() throws Exception {
        InflightBudget budget = new InflightBudget(10);
        assertTrue(budget.tryAcquire(10, new Recorder(10, new ArrayList<>())));
        Thread sync = new Thread(() -> {
            try {
                budget.acquire(4);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sync.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (budget.waiting() == 0) {
            assertTrue(System.nanoTime() < deadline, "the thread queued");
            Thread.sleep(1);
        }
        assertTrue(sync.isAlive());
        budget.release(10);
        sync.join();
        assertEquals(4, budget.used());
    }

    @Test
    void interruptedWaiterLeavesNothingHeld() throws Exception {
        InflightBudget budget = new InflightBudget(10);
        assertTrue(budget.tryAcquire(10, new Recorder(10, new ArrayList<>())));
        Thread sync = new Thread(() -> {
            assertThrows(InterruptedException.class, () -> budget.acquire(4));
        });
        sync.start();
        while (budget.waiting() == 0) {
            Thread.sleep(1);
        }
        sync.interrupt();
        sync.join();
        assertEquals(0, budget.waiting());
        budget.release(10);
        assertEquals(0, budget.used());
    }

    @Test
    void tryAcquireNowTakesWhatFitsAndNeverQueuesNorOvertakes() {
        InflightBudget budget = new InflightBudget(100); // main lane 88
        List<Recorder> granted = new ArrayList<>();
        assertTrue(budget.tryAcquireNow(80));
        assertFalse(budget.tryAcquireNow(10), "80 + 10 > 88");
        assertEquals(0, budget.waiting(), "never queues");
        assertTrue(budget.tryAcquireSmall(1), "the fast lane is not the main lane's");
        Recorder big = new Recorder(50, granted);
        assertFalse(budget.tryAcquire(50, big));
        budget.release(80);
        assertEquals(List.of(big), granted);
        Recorder next = new Recorder(60, granted);
        assertFalse(budget.tryAcquire(60, next), "50 + 60 > 88: queued");
        assertFalse(budget.tryAcquireNow(8), "would fit, but someone waits: not taken before them");
        budget.release(50);
        assertEquals(List.of(big, next), granted);
        budget.release(60);
        budget.releaseSmall(1);
        assertEquals(0, budget.used());
    }

    /** A buffer that holds its own budget, as the export's gathered payloads do. */
    private static final class Holding extends UnpooledHeapByteBuf implements InflightBudget.HoldingBuffer {
        Holding() {
            super(UnpooledByteBufAllocator.DEFAULT, 64, 64);
        }
    }

    @Test
    void aBufferHoldingItsOwnBudgetIsSeenThroughItsViews() {
        ByteBuf holding = new Holding().writerIndex(64);
        ByteBuf plain = Unpooled.buffer(64).writerIndex(64);
        try {
            assertTrue(InflightBudget.heldByItsBuffer(holding));
            assertTrue(InflightBudget.heldByItsBuffer(holding.slice(8, 16)));
            assertTrue(InflightBudget.heldByItsBuffer(holding.duplicate().slice(0, 4)));
            assertFalse(InflightBudget.heldByItsBuffer(plain));
            assertFalse(InflightBudget.heldByItsBuffer(plain.slice(8, 16)));
        } finally {
            holding.release();
            plain.release();
        }
    }

    /** The budget's share of direct memory is an A/B knob (docs/memory.md); nonsense is refused. */
    @Test
    void theShareOfDirectMemoryComesFromItsPropertyWithinOneToAHundredPercent() {
        String before = System.getProperty(InflightBudget.SHARE_PROPERTY);
        try {
            System.clearProperty(InflightBudget.SHARE_PROPERTY);
            assertEquals(35, InflightBudget.sharePercent());
            System.setProperty(InflightBudget.SHARE_PROPERTY, "50");
            assertEquals(50, InflightBudget.sharePercent());
            for (String wrong : List.of("0", "101", "-5")) {
                System.setProperty(InflightBudget.SHARE_PROPERTY, wrong);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, InflightBudget::sharePercent);
                assertTrue(e.getMessage().contains(InflightBudget.SHARE_PROPERTY), e.getMessage());
            }
        } finally {
            if (before == null) {
                System.clearProperty(InflightBudget.SHARE_PROPERTY);
            } else {
                System.setProperty(InflightBudget.SHARE_PROPERTY, before);
            }
        }
    }
}
