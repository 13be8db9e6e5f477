package org.hast.it.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.hast.testing.NodeLogsOnFailure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * (d) The primary's local disk fails (issue #10): node A's local component is a loop device over
 * an nbdkit export with the {@code error} filter. Reads must then be served by the secondary
 * (spec §11.3), and writes follow decision A10: acknowledged because the secondary has them,
 * their extents kept dirty, and never read back stale once the disk works again.
 */
@ExtendWith(NodeLogsOnFailure.class)
class DiskFaultIT {
    /**
     * These tests cut no link: a longer timeout than {@link FaultPair#GLOBALS} keeps a
     * loaded machine's slow worker start-up from failing reconnections.
     */
    private static final String RELAXED = "timeout 10\n";
    private FaultPair pair;
    private FaultyDisk disk;
    private FaultyDisk diskB;

    @AfterEach
    void close() throws Exception {
        try {
            if (pair != null) {
                pair.close(); // hastd first: it holds the loop device open
            }
        } finally {
            if (disk != null) {
                disk.close();
            }
            if (diskB != null) {
                diskB.close();
            }
        }
    }

    @Test
    void failingLocalDiskIsCoveredByTheSecondary(TestInfo test) throws Exception {
        FaultyDisk.require();
        pair = FaultPair.create(test.getTestMethod().orElseThrow().getName(), "\treplication fullsync");
        disk = FaultyDisk.start(pair.a.disk(FaultPair.RESOURCE), pair.a.dir().resolve("faulty"));
        pair.a.setLocal(FaultPair.RESOURCE, disk.device());
        pair.cluster.writeConfig(RELAXED, "\treplication fullsync", FaultPair.RESOURCE);
        pair.start();

        WriteLog log = new WriteLog();
        StreamWriter before = pair.writer(log, 0, 4096, 8, 64, 1);
        Thread.sleep(1500);
        before.stop();
        before.flushAndWait();
        before.close();
        disk.dropCache();

        disk.errorsOn();
        WriteLog.Result reads = pair.verify(log);
        int redirected = FaultIT.count(pair.a.logText(), "trying remote");
        System.out.println("fault: local disk failing, reads: " + reads + ", " + redirected
                + " log lines about reading from the secondary");
        assertEquals(0, reads.lost() + reads.unflushed(), "reads with a failing local disk: " + reads);

        StreamWriter during = pair.writer(log, 4096, 4096, 8, 64, 2);
        Thread.sleep(1500);
        during.stop();
        assertTrue(during.failure() == null, "A10: a write the secondary stored must be acknowledged: "
                + during.failure());
        during.flushAndWait();
        during.close();
        long dirtyWhileFailing = FaultPair.dirty(pair.a);
        String list = pair.a.hastctl("list", FaultPair.RESOURCE).stdout();
        String errors = list.lines().filter(l -> l.contains("local errors")).findFirst().orElse("").trim();
        WriteLog.Result whileFailing = pair.verify(log);

        disk.errorsOff();
        disk.dropCache();
        WriteLog.Result healed = pair.verify(log);
        System.out.println("fault: local disk failing, writes: " + (log.acked()) + " blocks acknowledged, dirty "
                + dirtyWhileFailing + " bytes, " + errors + "; read back while failing: " + whileFailing
                + "; after the disk healed: " + healed);
        assertEquals(0, whileFailing.lost() + whileFailing.unflushed(), "reads while the disk fails: " + whileFailing);
        assertTrue(dirtyWhileFailing > 0, "A10: writes that failed locally must leave their extents dirty, but "
                + "hastctl list shows dirty " + dirtyWhileFailing + " (" + errors + "): the local component is "
                + "opened without O_DIRECT/O_DSYNC, so its write errors only surface at writeback/FLUSH, "
                + "after the write was counted as locally done");
        assertEquals(0, healed.lost() + healed.unflushed(), "acknowledged writes read back stale from the "
                + "primary's own disk once it works again: " + healed);

        // A10: the extents whose local write failed must be repaired from the secondary's copy.
        long healedDirty = FaultPair.dirty(pair.a);
        String converged;
        try {
            converged = "converged in " + pair.converge(30_000) + " ms";
        } catch (AssertionError e) {
            converged = "not converged 30 s after the disk healed (" + healedDirty + " bytes dirty)";
        }
        // What a worker restart (role cycle) then does with those extents.
        FaultPair.ok(pair.a, "role", "secondary", FaultPair.RESOURCE);
        pair.promote(pair.a);
        String afterRestart;
        WriteLog.Result restarted = null;
        try {
            afterRestart = "converged " + pair.converge(60_000) + " ms after a role cycle";
            restarted = pair.verify(log);
        } catch (AssertionError e) {
            afterRestart = "after a role cycle (" + FaultIT.count(pair.a.logText(), "Synchronization started")
                    + " syncs in A's log): " + e.getMessage().lines().findFirst().orElse("");
        }
        System.out.println("fault: local disk healed: " + converged + "; " + afterRestart + "; " + restarted);
        assertTrue(converged.startsWith("converged"), "A10: extents whose local write failed are never "
                + "resynchronised from the secondary: " + converged + "; " + afterRestart + ", then " + restarted);
        assertTrue(restarted != null && restarted.lost() + restarted.unflushed() == 0, afterRestart + ": "
                + restarted);
    }

    /**
     * A10 across a restart (issue #20): a worker killed with SIGKILL while its stale extents are
     * being copied back from the secondary must, once restarted, go on copying them from the
     * secondary, not synchronise its own stale copy over the good one.
     */
    @Test
    void staleExtentsSurviveAKilledWorkerDuringTheRepair(TestInfo test) throws Exception {
        WriteLog log = staleExtentsBeingRepaired(test);
        List<ProcessHandle> workers = pair.a.workers();
        assertEquals(1, workers.size(), "one primary worker on A");
        workers.get(0).destroyForcibly();
        workers.get(0).onExit().get(30, TimeUnit.SECONDS);
        FaultPair.awaitExport(pair.a); // hastd restarts its primary worker (spec §3.7)
        convergesToTheSecondarysData(log, "after the killed worker's restart");
    }

    /** The same with the whole node (hastd and its worker) killed and started again. */
    @Test
    void staleExtentsSurviveANodeRestartDuringTheRepair(TestInfo test) throws Exception {
        WriteLog log = staleExtentsBeingRepaired(test);
        pair.a.kill();
        pair.a.start();
        pair.promote(pair.a);
        convergesToTheSecondarysData(log, "after node A's restart");
    }

    /**
     * A node that steps down with stale extents sends them to the new primary as dirty (on top
     * of its bitmap), so they are overwritten with the new primary's copy, and then drops the
     * set: it must not survive into a later term as primary.
     */
    @Test
    void staleExtentsAreOverwrittenWhenTheNodeBecomesSecondary(TestInfo test) throws Exception {
        WriteLog log = staleExtentsBeingRepaired(test);
        Path staleFile = pair.a.statedir().resolve(FaultPair.RESOURCE + ".stale");
        assertTrue(Files.exists(staleFile), "A keeps its stale extents in " + staleFile);
        pair.demote(pair.a);
        pair.promote(pair.b);
        convergesToTheSecondarysData(log, "after A stepped down and B took over");
        assertFalse(Files.exists(staleFile), "the set is dropped once B has merged it");
    }

    /**
     * Writes acknowledged while A's disk fails (A10), then the disk heals with the link capped
     * so that copying the stale extents back from B takes a while; returns with that copy under
     * way, having checked that it is.
     */
    private WriteLog staleExtentsBeingRepaired(TestInfo test) throws Exception {
        FaultyDisk.require();
        pair = FaultPair.create(test.getTestMethod().orElseThrow().getName(), "\treplication fullsync");
        disk = FaultyDisk.start(pair.a.disk(FaultPair.RESOURCE), pair.a.dir().resolve("faulty"));
        pair.a.setLocal(FaultPair.RESOURCE, disk.device());
        pair.cluster.writeConfig(RELAXED, "\treplication fullsync", FaultPair.RESOURCE);
        pair.start();

        WriteLog log = new WriteLog();
        StreamWriter before = pair.writer(log, 0, 4096, 8, 64, 1);
        Thread.sleep(1000);
        before.stop();
        before.flushAndWait();
        before.close();

        disk.errorsOn();
        disk.dropCache();
        StreamWriter during = pair.writer(log, 4096, 4096, 8, 64, 2);
        Thread.sleep(1500);
        during.stop();
        assertTrue(during.failure() == null, "A10: a write the secondary stored must be acknowledged: "
                + during.failure());
        during.flushAndWait();
        during.close();
        long staleBytes = FaultPair.dirty(pair.a);
        assertTrue(staleBytes > 0, "writes that failed on A's disk leave their extents dirty");

        pair.cluster.rateLimit("1mbit"); // about 120 KB/s: the copy back takes many seconds per extent
        disk.errorsOff();
        disk.dropCache();
        Thread.sleep(1000);
        long left = FaultPair.dirty(pair.a);
        System.out.println("fault: " + test.getDisplayName() + ": " + log.acked() + " blocks acknowledged, "
                + staleBytes + " bytes dirty with the disk failing, " + left + " still to copy back at the restart");
        assertTrue(left > 0, "the repair must still be under way when A restarts; it finished already");
        return log;
    }

    private void convergesToTheSecondarysData(WriteLog log, String when) throws Exception {
        pair.cluster.rateLimit(null);
        long took = pair.converge(60_000);
        WriteLog.Result result = pair.verify(log);
        int copiedBack = FaultIT.count(pair.a.logText(), "copied back from the secondary");
        System.out.println("fault: " + when + ": converged in " + took + " ms, " + copiedBack
                + " extents copied back from B; read back: " + result);
        assertEquals(0, result.lost() + result.unflushed(), "acknowledged writes lost " + when
                + " (the stale local copy was synchronised over the secondary's): " + result);
    }

    /**
     * A22: in memsync the client may hear of a write once the local write is done and the
     * secondary has received it, but never when the local write failed: then it waits for the
     * secondary's write. With both disks failing, every write must fail, none be acknowledged
     * on the strength of the secondary's first ("received") reply.
     */
    @Test
    void memsyncNeverAcknowledgesAWriteThatFailedLocallyBeforeTheSecondaryWroteIt(TestInfo test)
            throws Exception {
        FaultyDisk.require();
        pair = FaultPair.create(test.getTestMethod().orElseThrow().getName(), "\treplication memsync");
        disk = FaultyDisk.start(pair.a.disk(FaultPair.RESOURCE), pair.a.dir().resolve("faulty"));
        diskB = FaultyDisk.start(pair.b.disk(FaultPair.RESOURCE), pair.b.dir().resolve("faulty"));
        pair.a.setLocal(FaultPair.RESOURCE, disk.device());
        pair.b.setLocal(FaultPair.RESOURCE, diskB.device());
        pair.cluster.writeConfig(RELAXED, "\treplication memsync", FaultPair.RESOURCE);
        pair.start();

        disk.errorsOn();
        diskB.errorsOn();
        disk.dropCache();
        diskB.dropCache();
        int writes = 256;
        Set<Long> acknowledged = new TreeSet<>();
        try (NbdClient client = pair.client()) {
            for (int i = 0; i < writes; i++) {
                long offset = (long) i * 4096;
                ByteBuffer block = ByteBuffer.allocate(4096);
                block.putInt(0, i);
                try {
                    client.write(offset, block).get(30, TimeUnit.SECONDS);
                    acknowledged.add(offset);
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof NbdClient.NbdError, "an NBD error, not " + e.getCause());
                }
            }
        }
        // A write may still reach A's page cache (then memsync acknowledges it, rightly): only
        // writes both disks failed count, read from both logs.
        Set<Long> failedOnA = failedWrites(pair.a.logText(), "Local request failed (WRITE(");
        Set<Long> failedOnB = failedWrites(pair.b.logText(), "Request failed: WRITE(");
        Set<Long> failedOnBoth = new TreeSet<>(failedOnA);
        failedOnBoth.retainAll(failedOnB);
        Set<Long> wronglyAcknowledged = new TreeSet<>(failedOnBoth);
        wronglyAcknowledged.retainAll(acknowledged);
        System.out.println("fault: memsync, both disks failing: " + acknowledged.size() + " of " + writes
                + " writes acknowledged; " + failedOnA.size() + " failed on A, " + failedOnB.size() + " on B, "
                + failedOnBoth.size() + " on both, of which acknowledged: " + wronglyAcknowledged.size());
        assertTrue(failedOnBoth.size() > 0, "no write failed on both disks: nothing was tested");
        assertEquals(Set.of(), wronglyAcknowledged, "A22: writes that no disk stored were acknowledged");
    }

    /** The offsets of the 4 KiB writes a node's log reports as failed ({@code <prefix><offset>, 4096)}). */
    private static Set<Long> failedWrites(String log, String prefix) {
        Set<Long> offsets = new TreeSet<>();
        for (int at = log.indexOf(prefix); at >= 0; at = log.indexOf(prefix, at + 1)) {
            int start = at + prefix.length();
            offsets.add(Long.parseLong(log.substring(start, log.indexOf(',', start))));
        }
        return offsets;
    }
}
