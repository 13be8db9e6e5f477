package org.hast.it.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    private FaultPair pair;
    private FaultyDisk disk;

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
        }
    }

    @Test
    void failingLocalDiskIsCoveredByTheSecondary(TestInfo test) throws Exception {
        FaultyDisk.require();
        pair = FaultPair.create(test.getTestMethod().orElseThrow().getName(), "\treplication fullsync");
        disk = FaultyDisk.start(pair.a.disk(FaultPair.RESOURCE), pair.a.dir().resolve("faulty"));
        pair.a.setLocal(FaultPair.RESOURCE, disk.device());
        pair.cluster.writeConfig(FaultPair.GLOBALS, "\treplication fullsync", FaultPair.RESOURCE);
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
}
