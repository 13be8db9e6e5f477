package org.hast.it.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.NodeLogsOnFailure;
import org.hast.util.SysExits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The thread-death policy on two real nodes (issue #20, docs/failure-policy.md): a long-lived
 * thread that dies ends its process with EX_SOFTWARE and its stack trace in the log; a worker
 * is then restarted by hastd (a secondary by the primary's reconnection) and the resource
 * serves again. The failure is injected by {@link ThreadKillerAgent}; one cluster serves every
 * thread in turn, to keep CI time low.
 */
@ExtendWith(NodeLogsOnFailure.class)
class ThreadDeathIT {
    private static final String RESOURCE = "r0";
    private static final int BLOCK = 64 * 1024;
    private static final long LIMIT_MILLIS = 60_000;

    private HastCluster cluster;
    /** The nodes' java.io.tmpdir: a halted hastd leaves its workers' socket directory there. */
    private Path scratch;
    private Path requests;
    private int round;

    @AfterEach
    void close() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (scratch != null) {
            try (var files = Files.walk(scratch)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    @Test
    void aThreadThatDiesEndsItsProcessWhichIsRestartedAndServesAgain() throws Exception {
        cluster = HastCluster.create("ThreadDeathIT", 2);
        cluster.createDisks(32L << 20, RESOURCE);
        cluster.writeConfig("", "", RESOURCE);
        requests = Files.createDirectories(cluster.dir().resolve("thread-deaths"));
        Path agent = ThreadKillerAgent.jar(cluster.dir());
        scratch = Files.createTempDirectory("hast-td-");
        for (HastNode node : cluster.nodes()) {
            node.putEnvironment("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + scratch + " -javaagent:" + agent + "="
                    + requests);
        }
        cluster.startPair(RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        servesAgain(a);

        // The primary worker's I/O threads, its synchronisation thread and its control loop.
        for (String thread : List.of("local-0", "activemap", "sync", "main")) {
            workerThreadDies(a, "primary", thread);
            servesAgain(a);
        }
        // The secondary's disk thread: the primary reconnects and hastd starts a new secondary.
        workerThreadDies(b, "secondary", "disk");
        servesAgain(a);

        // The main process's control accept loop: hastd itself ends, and so does its worker.
        ProcessHandle worker = workerOf(a, "primary").orElseThrow();
        int logStart = a.logText().length();
        ThreadKillerAgent.requestDeath(requests, a.pid(), "control");
        await("hastd A to end", a, () -> {
            nudge(a);
            return !a.running();
        });
        assertEquals(SysExits.EX_SOFTWARE, a.process().exitValue(), a.logText());
        assertDiedWithTrace(a, logStart, "[CRIT] Thread control died, exiting: ");
        worker.onExit().get(30, TimeUnit.SECONDS);
    }

    /**
     * Kills {@code thread} in {@code node}'s {@code role} worker; checks the worker exited
     * EX_SOFTWARE after logging the trace, that hastd restarted a primary, and waits until
     * both nodes are complete again.
     */
    private void workerThreadDies(HastNode node, String role, String thread) throws Exception {
        ProcessHandle worker = workerOf(node, role).orElseThrow(() -> new AssertionError(node.logText()));
        int logStart = node.logText().length();
        ThreadKillerAgent.requestDeath(requests, worker.pid(), thread);
        await(role + " worker to end after " + thread + " died", node, () -> {
            nudge(node);
            return !worker.isAlive();
        });
        await("the exit to be logged", node, () -> node.logText().indexOf("exitcode=" + SysExits.EX_SOFTWARE + ")",
                logStart) >= 0);
        assertTrue(node.logText().substring(logStart).contains("[" + RESOURCE + "] (" + role
                + ") Worker process exited ungracefully (pid=" + worker.pid() + ", exitcode=70)."), node.logText());
        assertDiedWithTrace(node, logStart, "[CRIT] [" + RESOURCE + "] (" + role + ") Thread " + thread
                + " died, exiting: ");
        if (role.equals("primary")) {
            // The restart path of any crashed primary worker (spec §3.7), same hooks and events.
            await("the restart", node, () -> node.logText().indexOf("[" + RESOURCE
                    + "] (primary) Restarting worker process.", logStart) >= 0);
        }
        for (HastNode each : cluster.nodes()) {
            HastCluster.awaitStatus(each, RESOURCE, "complete", LIMIT_MILLIS);
        }
    }

    /**
     * The CRIT line, then the trace: the throwable's class, then its frames. ThreadDeath may
     * surface as another error on the way out (stopped inside a lock's await, the unlock throws
     * IllegalMonitorStateException), so the class is not checked.
     */
    private static void assertDiedWithTrace(HastNode node, int logStart, String critPrefix) {
        String log = node.logText().substring(logStart);
        Matcher trace = Pattern.compile(Pattern.quote(critPrefix) + "[^\n]*\n[\\w.$]+(: [^\n]*)?\n\tat ")
                .matcher(log);
        assertTrue(trace.find(), "no " + critPrefix + " followed by its stack trace in:\n" + log);
    }

    /** A control request: wakes a thread blocked in accept() or in a read of the worker channel. */
    private static void nudge(HastNode node) {
        try {
            if (node.running()) {
                node.hastctl("status");
            }
        } catch (IOException e) {
            // The daemon is going away: that is what we wait for.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes a fresh pattern through A's export, flushes, reads it back. */
    private void servesAgain(HastNode a) throws Exception {
        round++;
        byte[] pattern = new byte[BLOCK];
        java.util.Arrays.fill(pattern, (byte) round);
        long offset = (long) round * BLOCK;
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        while (true) {
            try (NbdClient client = NbdClient.connect(a.exportSocket(RESOURCE), RESOURCE)) {
                client.write(offset, ByteBuffer.wrap(pattern)).get(30, TimeUnit.SECONDS);
                client.flush().get(30, TimeUnit.SECONDS);
                ByteBuffer read = client.read(offset, BLOCK).get(30, TimeUnit.SECONDS);
                byte[] back = new byte[BLOCK];
                read.get(back);
                assertArrayEquals(pattern, back, "round " + round);
                return;
            } catch (IOException | java.util.concurrent.ExecutionException e) {
                // The export socket of a worker that is still starting, or of the one just gone.
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("the export never served again: " + e + "\n" + a.logText(), e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static Optional<ProcessHandle> workerOf(HastNode node, String role) {
        return node.workers().stream()
                .filter(p -> p.info().commandLine().orElse("").contains("hastd: " + RESOURCE + " (" + role + ")"))
                .findFirst();
    }

    private static void await(String what, HastNode node, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + LIMIT_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited in vain for " + what + "\n" + node.logText());
            }
            Thread.sleep(100);
        }
    }
}
