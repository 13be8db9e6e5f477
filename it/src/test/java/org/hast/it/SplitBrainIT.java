package org.hast.it;

import static org.hast.it.SyncChecks.RECONNECT_MILLIS;
import static org.hast.it.SyncChecks.RESOURCE;
import static org.hast.it.SyncChecks.assertIdentical;
import static org.hast.it.SyncChecks.awaitClean;
import static org.hast.it.SyncChecks.awaitEvent;
import static org.hast.it.SyncChecks.awaitExport;
import static org.hast.it.SyncChecks.awaitLog;
import static org.hast.it.SyncChecks.dataDigest;
import static org.hast.it.SyncChecks.dataSize;
import static org.hast.it.SyncChecks.hastctl;
import static org.hast.it.SyncChecks.logMark;
import static org.hast.it.SyncChecks.syncedBytesAtMost;
import static org.hast.it.SyncChecks.writeRegions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue #8 check 4 (spec §8): both nodes written as primary while apart is a split-brain. The
 * connection is refused on both sides, both emit {@code split-brain}, neither data area is
 * touched; then the administrator's procedure of docs/split-brain.md (re-create the losing side,
 * make it secondary) ends in a full sync from the surviving primary.
 */
class SplitBrainIT {
    private static final long MIB = 1L << 20;
    private static final long DISK_BYTES = 256 * MIB;

    private HastCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void bothSidesRefuseAndKeepTheirDataUntilOneIsRecreated(TestInfo test) throws Exception {
        SyncChecks.requireTools();
        cluster = SyncChecks.cluster(test.getTestMethod().orElseThrow().getName(), DISK_BYTES);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        cluster.startPair(RESOURCE);
        writeRegions(a, 8 * MIB, 5, 0);

        // The link goes down and A writes alone: A's localcnt moves past what B knows.
        hastctl(b, "role", "init", RESOURCE);
        HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
        writeRegions(a, 8 * MIB, 6, 32 * MIB);
        // A goes away, B is promoted and writes too: now both have data the other lacks.
        hastctl(a, "role", "init", RESOURCE);
        hastctl(b, "role", "primary", RESOURCE);
        awaitExport(b);
        writeRegions(b, 8 * MIB, 7, 32 * MIB, 96 * MIB);
        String digestA = dataDigest(a, DISK_BYTES);
        String digestB = dataDigest(b, DISK_BYTES);
        assertNotEquals(digestA, digestB, "both sides wrote while apart");

        // A comes back as secondary: B's next connect attempt finds the split-brain.
        int markA = logMark(a);
        int markB = logMark(b);
        hastctl(a, "role", "secondary", RESOURCE);
        awaitEvent(cluster, "nodeA split-brain " + RESOURCE, 1, RECONNECT_MILLIS);
        awaitEvent(cluster, "nodeB split-brain " + RESOURCE, 1, 5_000);
        awaitLog(a, markA, "Split-brain detected, exiting.", 5_000);
        awaitLog(b, markB, "Split-brain condition!", 5_000);
        assertEquals(digestA, dataDigest(a, DISK_BYTES), "A's data area untouched by the refused connection");
        assertEquals(digestB, dataDigest(b, DISK_BYTES), "B's data area untouched by the refused connection");
        assertTrue(!b.hastctl("status").stdout().contains("complete"), b.hastctl("status").stdout());
        assertTrue(!b.logText().substring(markB).contains("Synchronization started"), "no sync after a refusal");

        // docs/split-brain.md: B's data wins; A is re-created and gets everything from B.
        hastctl(a, "role", "init", RESOURCE);
        hastctl(a, "create", RESOURCE);
        markB = logMark(b);
        hastctl(a, "role", "secondary", RESOURCE);
        String done = awaitLog(b, markB, "Synchronization complete.", RECONNECT_MILLIS);
        assertTrue(syncedBytesAtMost(done) >= dataSize(b, DISK_BYTES), "a full sync: " + done);
        awaitClean(b, 10_000);
        HastCluster.awaitStatus(b, RESOURCE, "complete", 10_000);
        assertEquals(digestB, dataDigest(b, DISK_BYTES), "the surviving side's data is kept");
        assertIdentical(b, a, DISK_BYTES, "after the split-brain recovery");
    }
}
