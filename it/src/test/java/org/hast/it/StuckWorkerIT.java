package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Frame;
import org.hast.proto.Frames;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.Test;

/**
 * One hastd with two primary resources, one of whose workers is stopped (SIGSTOP): while a
 * status query of the stuck resource waits for its worker, status and role changes of the
 * other resource are answered, and the stuck one ends with its own error (A12), ETIMEDOUT.
 */
class StuckWorkerIT {
    private static final int ETIMEDOUT = 110;
    /**
     * The stuck resource's status waits out this limit (20 s by default); the test gives its
     * node 8 s, room for the hastctl runs that must happen while it waits.
     * {@code HAST_WORKER_STATUS_SECONDS=20} in the test's environment is the long form.
     */
    private static final String STATUS_LIMIT_VARIABLE = "HAST_WORKER_STATUS_SECONDS";

    @Test
    void aStoppedWorkerDelaysNoOtherResource() throws Exception {
        try (HastCluster cluster = HastCluster.create("stuckWorker", 2)) {
            cluster.createDisks(64L << 20, "stuck", "other");
            cluster.writeConfig("", "", "stuck", "other");
            HastNode a = cluster.node(0);
            a.putEnvironment(STATUS_LIMIT_VARIABLE, System.getenv().getOrDefault(STATUS_LIMIT_VARIABLE, "8"));
            ok(a.hastctl("create", "stuck"));
            ok(a.hastctl("create", "other"));
            a.start();
            ok(a.hastctl("role", "primary", "stuck", "other"));
            HastCluster.awaitStatus(a, "stuck", "degraded", 60_000);
            HastCluster.awaitStatus(a, "other", "degraded", 60_000);
            long stuckPid = workerPid(a, "stuck");
            signal("STOP", stuckPid);
            try {
                try (SocketChannel query = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    // Sent before anything else below, so the daemon has it first.
                    query.connect(UnixDomainSocketAddress.of(a.controlSocket()));
                    query.write(Frames.encode(2, new NvWriter().addUint8("cmd", ControlCodes.CMD_STATUS)
                            .addString("resource0", "stuck")));

                    Processes.Result other = ok(a.hastctl("status", "other"));
                    assertTrue(other.stdout().contains("other\tdegraded primary"), other.toString());
                    assertStillWaiting(query);
                    ok(a.hastctl("role", "init", "other"));
                    assertTrue(ok(a.hastctl("status", "other")).stdout().contains("other\t-        init"));
                    assertStillWaiting(query);

                    query.configureBlocking(true);
                    Frame reply = Frames.readFrom(Channels.newInputStream(query), 1 << 16);
                    NvMessage nv = reply.nv();
                    assertEquals("stuck", nv.getString("resource0"));
                    assertEquals(stuckPid, nv.getInt32("workerpid0"));
                    assertEquals(ETIMEDOUT, nv.getInt16("error0"), a.logText());
                    assertFalse(nv.has("error"), "a stuck worker is its resource's error, not the reply's");
                }
            } finally {
                signal("CONT", stuckPid);
            }
            // Its late answer to the query that timed out does not answer the next one.
            Processes.Result resumed = ok(a.hastctl("status", "stuck"));
            assertTrue(resumed.stdout().contains("stuck\tdegraded primary"), resumed.toString());
            assertTrue(a.logText().contains("[stuck] (primary) Unable to get status from the worker"), a.logText());
        }
    }

    /** No reply yet: the read finds nothing, and the connection is still open. */
    private static void assertStillWaiting(SocketChannel query) throws Exception {
        query.configureBlocking(false);
        assertEquals(0, query.read(ByteBuffer.allocate(1)), "the stuck resource's status was answered already");
    }

    private static long workerPid(HastNode node, String resource) throws Exception {
        String line = ok(node.hastctl("list", resource)).stdout().lines()
                .filter(l -> l.startsWith("  workerpid: ")).findFirst().orElseThrow();
        return Long.parseLong(line.substring("  workerpid: ".length()));
    }

    /** Signals a worker of the hastd this test started, by its PID. */
    private static void signal(String name, long pid) throws Exception {
        ok(Processes.run(List.of("kill", "-" + name, Long.toString(pid)), Map.of(), Duration.ofSeconds(10)));
    }

    private static Processes.Result ok(Processes.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }
}
