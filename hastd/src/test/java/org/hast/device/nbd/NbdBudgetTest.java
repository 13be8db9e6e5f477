package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.hast.device.nbd.NbdTransmissionTest.waitFor;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.block.InflightBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export against a small {@link InflightBudget} (issue #20): the bound holds for all
 * clients together, a client over it waits instead of failing, unread READ replies count, a
 * request larger than the whole budget still goes through, and every byte comes back.
 */
@Timeout(60)
@ExtendWith(NbdLeaks.class)
class NbdBudgetTest {
    private static final long SIZE = 16 << 20;
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private NbdFixture fx;
    private InflightBudget budget;

    private void start(long budgetBytes) throws Exception {
        budget = new InflightBudget(budgetBytes);
        fx = new NbdFixture(dir, SIZE, budget);
    }

    @AfterEach
    void stop() throws Exception {
        if (fx != null) {
            fx.close();
            waitFor(() -> budget.used() == 0); // every admitted byte was given back
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void readingStopsAtTheBudget() throws Exception {
        start(8L * MIB);
        fx.backend.holdOffsets.add(0L);
        int writes = 24; // 24 MiB offered, 8 MiB admitted
        try (NbdTestClient c = fx.transmitting()) {
            c.timeoutMs = 30_000;
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    byte[] mib = new byte[MIB];
                    for (int i = 0; i < writes; i++) {
                        c.sendRequest(0, CMD_WRITE, i, 0, mib.length, mib);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // The main lane is 7/8 of the budget; 1 MiB is too big for the fast lane.
            waitFor(() -> fx.backend.heldCount() == 7 && budget.waiting() == 1);
            assertEquals(7L * MIB, budget.used(), "the budget's main lane is full, and no more");
            assertFalse(sender.isDone(), "the client is blocked by the socket, not failed");
            releaseWhileReading(c, writes);
            sender.get(10, TimeUnit.SECONDS);
        }
    }

    /** A 4 MiB budget: its main lane (3.5 MiB) held by client a's WRITEs at offset 0. */
    private NbdTestClient fillMainLane() throws Exception {
        start(4L * MIB);
        fx.backend.holdOffsets.add(0L);
        NbdTestClient a = fx.transmitting();
        byte[] mib = new byte[MIB];
        for (int i = 0; i < 3; i++) {
            a.sendRequest(0, CMD_WRITE, i, 0, MIB, mib);
        }
        a.sendRequest(0, CMD_WRITE, 3, 0, MIB / 2, new byte[MIB / 2]);
        waitFor(() -> fx.backend.heldCount() == 4);
        return a;
    }

    private static void readAnswers(NbdTestClient a, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            assertEquals(0, a.readReply()[0]);
        }
    }

    @Test
    void oneBudgetForAllClients() throws Exception {
        byte[] data = random(128 << 10, 7); // main lane; fits the socket's buffer while unread
        try (NbdTestClient a = fillMainLane(); NbdTestClient b = fx.transmitting()) {
            b.sendRequest(0, CMD_WRITE, 99, MIB, data.length, data);
            waitFor(() -> budget.waiting() == 1); // client b waits for client a's bytes
            fx.backend.releaseHeld();
            assertArrayEquals(new long[] {0, 99}, b.readReply(), "b is answered once a's bytes are back");
            readAnswers(a, 4);
            assertArrayEquals(data, Arrays.copyOfRange(fx.fileBytes(), MIB, MIB + data.length));
        }
    }

    @Test
    void smallRequestsPassBulkOnesInTheFastLane() throws Exception {
        byte[] data = random(4096, 8);
        try (NbdTestClient a = fillMainLane(); NbdTestClient b = fx.transmitting()) {
            assertEquals(0, b.write(MIB, data, 0), "answered while a's bytes are all held");
            assertArrayEquals(data, b.read(MIB, data.length));
            assertEquals(4, fx.backend.heldCount());
            fx.backend.releaseHeld();
            readAnswers(a, 4);
        }
    }

    /**
     * The mechanism of MemoryBoundIT's stall on the shared loop: memsync answers a WRITE while
     * the primary still holds its payload (until the secondary wrote it). The budget must count
     * those bytes until they are freed, or the next large WRITE is allocated on top of them, past
     * the worker's direct-memory cap.
     */
    @Test
    void aPayloadStillHeldAfterItsReplyKeepsItsBudget() throws Exception {
        start(4L * MIB); // main lane 3.5 MiB: one 2 MiB WRITE at a time
        fx.backend.keepPayloads = true;
        byte[] first = random(2 * MIB, 11);
        byte[] second = random(2 * MIB, 12);
        try (NbdTestClient a = fx.transmitting(); NbdTestClient b = fx.transmitting()) {
            assertEquals(0, a.write(0, first, 0), "a's WRITE is answered");
            assertEquals(2L * MIB, budget.used(), "answered, but its payload is still in memory: " + budget);
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    b.sendRequest(0, CMD_WRITE, 77, 2 * MIB, second.length, second);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            waitFor(() -> budget.waiting() == 1); // b's header read, its payload not admitted
            assertEquals(1, fx.backend.releaseKeptPayloads(), "the backend held a's payload");
            assertArrayEquals(new long[] {0, 77}, b.readReply(), "b admitted once a's payload was freed");
            sender.get(10, TimeUnit.SECONDS);
            fx.backend.keepPayloads = false;
            fx.backend.releaseKeptPayloads();
            waitFor(() -> budget.used() == 0);
            byte[] disk = fx.fileBytes();
            assertArrayEquals(first, Arrays.copyOfRange(disk, 0, 2 * MIB));
            assertArrayEquals(second, Arrays.copyOfRange(disk, 2 * MIB, 4 * MIB));
        }
    }

    @Test
    void requestLargerThanTheBudgetStillProgresses() throws Exception {
        start(MIB);
        byte[] data = random(4 * MIB, 3);
        try (NbdTestClient c = fx.transmitting()) {
            assertEquals(0, c.write(MIB, data, 0));
            assertArrayEquals(data, c.read(MIB, data.length));
        }
    }

    @Test
    void unreadReadRepliesCountAgainstTheBudget() throws Exception {
        start(4L * MIB);
        byte[] data = random(MIB, 5);
        int reads = 32;
        try (NbdTestClient c = fx.transmitting()) {
            c.timeoutMs = 30_000;
            assertEquals(0, c.write(0, data, 0));
            for (int i = 0; i < reads; i++) {
                c.sendRequest(0, CMD_READ, i, 0, MIB, null);
            }
            // Every READ has completed on the backend by now, but replies nobody reads are
            // still in memory: their bytes stay counted (the socket's water mark stopped reading).
            waitFor(() -> budget.used() >= MIB);
            Thread.sleep(200);
            assertTrue(budget.used() >= MIB && budget.used() <= 4L * MIB, budget.toString());
            for (int i = 0; i < reads; i++) {
                long[] reply = c.readReply();
                assertEquals(0, reply[0]);
                byte[] got = new byte[MIB];
                c.readFully(MIB).get(got);
                assertArrayEquals(data, got, "READ " + reply[1]);
            }
        }
    }

    @Test
    void clientLeavingWhileWaitingGivesItsPlaceUp() throws Exception {
        try (NbdTestClient a = fillMainLane()) {
            try (NbdTestClient b = fx.transmitting()) {
                b.sendRequest(0, CMD_WRITE, 9, MIB, 128 << 10, new byte[128 << 10]);
                waitFor(() -> budget.waiting() == 1);
            }
            waitFor(() -> budget.waiting() == 0); // gone from the queue with its connection
            fx.backend.releaseHeld();
            readAnswers(a, 4);
            byte[] data = random(MIB, 9);
            assertEquals(0, a.write(2 * MIB, data, 0), "the budget is whole again");
        }
    }

    private void releaseWhileReading(NbdTestClient c, int replies) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread releaser = new Thread(() -> {
            while (draining.get()) {
                fx.backend.releaseHeld();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        releaser.start();
        try {
            for (int i = 0; i < replies; i++) {
                assertEquals(0, c.readReply()[0]);
            }
        } finally {
            draining.set(false);
            releaser.join();
        }
    }
}
