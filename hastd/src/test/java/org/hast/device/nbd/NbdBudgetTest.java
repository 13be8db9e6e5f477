package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.hast.device.nbd.NbdTransmissionTest.waitFor;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.device.InflightBudget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export against a small {@link InflightBudget} (issue #20): the bound holds for all
 * clients together, a client over it waits instead of failing, unread READ replies count, a
 * request larger than the whole budget still goes through, and every byte comes back.
 */
@Timeout(60)
class NbdBudgetTest {
    private static final long SIZE = 16 << 20;
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;
    private NbdFixture fx;
    private InflightBudget budget;

    @BeforeAll
    static void leakDetection() {
        NbdLeaks.install();
    }

    @AfterAll
    static void noLeaks() {
        assertEquals(List.of(), NbdLeaks.leaks());
    }

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
            waitFor(() -> fx.backend.heldCount() == 8 && budget.waiting() == 1);
            assertEquals(8L * MIB, budget.used(), "the budget is full, and no more");
            assertFalse(sender.isDone(), "the client is blocked by the socket, not failed");
            releaseWhileReading(c, writes);
            sender.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void oneBudgetForAllClients() throws Exception {
        start(4L * MIB);
        fx.backend.holdOffsets.add(0L);
        byte[] mib = new byte[MIB];
        byte[] data = random(64 << 10, 7); // fits the socket's buffer while the server does not read
        try (NbdTestClient a = fx.transmitting(); NbdTestClient b = fx.transmitting()) {
            for (int i = 0; i < 4; i++) {
                a.sendRequest(0, CMD_WRITE, i, 0, MIB, mib);
            }
            waitFor(() -> fx.backend.heldCount() == 4);
            b.sendRequest(0, CMD_WRITE, 99, MIB, data.length, data);
            waitFor(() -> budget.waiting() == 1); // client b waits for client a's bytes
            fx.backend.releaseHeld();
            assertArrayEquals(new long[] {0, 99}, b.readReply(), "b is answered once a's bytes are back");
            for (int i = 0; i < 4; i++) {
                assertEquals(0, a.readReply()[0]);
            }
            assertArrayEquals(data, Arrays.copyOfRange(fx.fileBytes(), MIB, MIB + data.length));
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
        start(2L * MIB);
        fx.backend.holdOffsets.add(0L);
        byte[] mib = new byte[MIB];
        try (NbdTestClient a = fx.transmitting()) {
            a.sendRequest(0, CMD_WRITE, 1, 0, MIB, mib);
            a.sendRequest(0, CMD_WRITE, 2, 0, MIB, mib);
            waitFor(() -> fx.backend.heldCount() == 2);
            try (NbdTestClient b = fx.transmitting()) {
                b.sendRequest(0, CMD_WRITE, 3, MIB, 64 << 10, new byte[64 << 10]);
                waitFor(() -> budget.waiting() == 1);
            }
            waitFor(() -> budget.waiting() == 0); // gone from the queue with its connection
            fx.backend.releaseHeld();
            assertEquals(0, a.readReply()[0]);
            assertEquals(0, a.readReply()[0]);
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
