package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BooleanSupplier;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Two real nodes: the link comes up, stays up on keepalives, and comes back after a loss (§4.8).
 * The nodes keep the harness's short keepalive period ({@link HastNode#keepaliveSeconds}); the
 * long form with the reference's 10 s keepalives and 20 s silence limit is
 * {@code HAST_KEEPALIVE_SECONDS=10} in the test's environment (docs/fault-tests.md).
 */
class ReplicationLinkIT {
    private static final long IDLE_MILLIS = 2_000L * HastNode.keepaliveSeconds() + 5_000;
    private HastCluster cluster;
    private HastNode a;
    private HastNode b;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(16L << 20, "shared");
        // timeout 5: the idle period below is longer than the configured timeout.
        cluster.writeConfig("timeout 5", "", "shared");
        a = cluster.node(0);
        b = cluster.node(1);
        for (HastNode node : cluster.nodes()) {
            assertEquals(0, node.hastctl("create", "shared").exitCode());
            node.start();
        }
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private static String row(HastNode node) throws Exception {
        return node.hastctl("status").stdout().lines().skip(1).findFirst().orElse("");
    }

    private static void await(String what, HastNode node, long millis, BooleanSupplier condition) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean(), what + "\n" + node.logText());
    }

    private static BooleanSupplier complete(HastNode node) {
        return () -> {
            try {
                return row(node).startsWith("shared\tcomplete");
            } catch (Exception e) {
                return false;
            }
        };
    }

    @Test
    void keepalivesHoldAnIdleLinkAndALostLinkComesBack() throws Exception {
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        assertEquals(0, a.hastctl("role", "primary", "shared").exitCode());
        await("A complete", a, 30_000, complete(a));
        await("B complete", b, 30_000, complete(b));
        long secondaryWorker = b.workers().get(0).pid();
        assertTrue(a.logText().contains("[shared] (primary) Connected to tcp4://127.0.0.1:" + b.port() + "."),
                a.logText());
        // A first handshake that timed out while B's worker JVM was starting (a loaded machine)
        // makes the fresh secondary ask for a full synchronisation (secondary/UidAdoption).
        assertTrue(a.logText().contains("[shared] (primary) Nodes are in sync.")
                || a.logText().contains("[shared] (primary) Synchronization complete."), a.logText());

        // 5 s longer than the secondary's receive limit (two keepalive periods: 6 s with the
        // harness's HAST_KEEPALIVE_SECONDS, 20 s with the reference's): only keepalives keep it alive.
        Thread.sleep(IDLE_MILLIS);
        assertTrue(row(a).startsWith("shared\tcomplete primary"), a.logText());
        List<ProcessHandle> workers = b.workers();
        assertEquals(1, workers.size());
        assertEquals(secondaryWorker, workers.get(0).pid(), "the secondary worker survived the idle period");

        // The secondary goes away and comes back: the primary reconnects within 10 s.
        assertEquals(0, b.hastctl("role", "init", "shared").exitCode());
        await("A degraded", a, 30_000, () -> {
            try {
                return row(a).startsWith("shared\tdegraded primary");
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(a.logText().contains("Disconnected from tcp4://127.0.0.1:" + b.port() + "."), a.logText());
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        await("A complete again", a, 30_000, complete(a));
        await("B complete again", b, 30_000, complete(b));
    }

    @Test
    void aNewPrimaryWaitsForTheOldOneToStepDown() throws Exception {
        assertEquals(0, b.hastctl("role", "primary", "shared").exitCode());
        // B's worker must have tried A (still in init) before A becomes primary: a B that starts
        // late would find A primary and be the one that waits.
        await("B tries A", b, 15_000, () -> b.logText().contains("(primary) Unable to connect to"));
        assertEquals(0, a.hastctl("role", "primary", "shared").exitCode());
        await("A waits", a, 15_000, () -> a.logText().contains("Waiting for remote node to become secondary for 5s."));
        assertTrue(a.logText().contains("Remote node acts as primary for the resource and not as secondary."),
                a.logText());
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        await("A connects", a, 15_000, complete(a));

    }

    @Test
    void aSilentPrimaryIsDropped() throws Exception {
        assertEquals(0, b.hastctl("role", "secondary", "shared").exitCode());
        try (TestPrimary silent = TestPrimary.connect(b.port(), "shared", 42, 0, 0, true)) {
            await("B complete", b, 10_000, complete(b));
            await("B drops the silent primary", b, 40_000, () -> b.workers().isEmpty());
            assertTrue(b.logText().contains("(secondary) Unable to receive request header"), b.logText());
        }
    }
}
