package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Two real hastd processes driven by the real hastctl: roles, status, list, workers (spec §2–§3). */
class DaemonRolesIT {
    private HastCluster cluster;
    private HastNode a;
    private HastNode b;

    @BeforeEach
    void startNodes(TestInfo test) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(64L << 20, "shared");
        cluster.writeConfig("", "", "shared");
        a = cluster.node(0);
        b = cluster.node(1);
        for (HastNode node : cluster.nodes()) {
            Processes.Result created = node.hastctl("create", "shared");
            assertEquals(0, created.exitCode(), created.toString());
            node.start();
        }
    }

    @AfterEach
    void stopNodes() throws Exception {
        cluster.close();
    }

    private static Processes.Result ok(Processes.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    static void awaitWorkers(HastNode node, int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (node.workers().size() != count && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(count, node.workers().size(), node.logText());
    }

    @Test
    void statusOfAnInitResourceHasTheReferenceLayout() throws Exception {
        Processes.Result status = ok(a.hastctl("status"));
        assertEquals("Name\tStatus\t Role\t\tComponents\n"
                + "shared\t-        init           " + a.disk("shared") + "\ttcp4://127.0.0.1:" + b.port() + "\n",
                status.stdout());
        Processes.Result list = ok(a.hastctl("list", "shared"));
        assertEquals(String.join("\n",
                "shared:",
                "  role: init",
                "  provname: shared",
                "  localpath: " + a.disk("shared"),
                "  extentsize: 0 (0B)",
                "  keepdirty: 0",
                "  remoteaddr: tcp4://127.0.0.1:" + b.port(),
                "  replication: memsync",
                "  dirty: 0 (0B)",
                "  statistics:",
                "    reads: 0",
                "    writes: 0",
                "    deletes: 0",
                "    flushes: 0",
                "    activemap updates: 0",
                "    local errors: read: 0, write: 0, delete: 0, flush: 0",
                "    queues: local: 0, send: 0, recv: 0, done: 0, idle: 0",
                ""), list.stdout());
    }

    @Test
    void primaryGetsATitledWorkerAndInitEndsIt() throws Exception {
        ok(a.hastctl("role", "primary", "shared"));
        Processes.Result list = ok(a.hastctl("list"));
        List<String> lines = list.stdout().lines().toList();
        assertTrue(lines.contains("  role: primary"), list.toString());
        assertTrue(lines.contains("  status: degraded"), list.toString());
        assertTrue(lines.contains("  extentsize: 2097152 (2.0MB)"), list.toString());
        assertTrue(lines.contains("  keepdirty: 64"), list.toString());
        assertTrue(lines.contains("    queues: local: 0, send: 0, recv: 0, done: 0, idle: 256"), list.toString());
        String pidLine = lines.stream().filter(l -> l.startsWith("  workerpid: ")).findFirst().orElseThrow();
        long pid = Long.parseLong(pidLine.substring("  workerpid: ".length()));
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("hastd: shared (primary)"), cmdline);
        Processes.Result pgrep = Processes.run(List.of("pgrep", "-f", "hastd: shared \\(primary\\)"),
                java.util.Map.of(), java.time.Duration.ofSeconds(10));
        assertTrue(pgrep.stdout().lines().anyMatch(l -> l.equals(Long.toString(pid))), pgrep.toString());

        assertEquals("Name\tStatus\t Role\t\tComponents\n"
                + "shared\tdegraded primary        " + a.disk("shared") + "\ttcp4://127.0.0.1:" + b.port() + "\n",
                ok(a.hastctl("status")).stdout());

        ok(a.hastctl("role", "secondary", "shared"));
        awaitWorkers(a, 0);
        assertTrue(ok(a.hastctl("status")).stdout().contains("shared\t-        secondary      "));
        ok(a.hastctl("role", "init", "all"));
        assertTrue(ok(a.hastctl("status")).stdout().contains("shared\t-        init           "));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void unknownResourceIsPerResourceError() throws Exception {
        Processes.Result role = a.hastctl("role", "primary", "nosuch");
        assertEquals(1, role.exitCode(), role.toString());
        assertEquals("[WARNING] [nosuch] Received error 1 from hastd.\n", role.stderr());
        Processes.Result status = a.hastctl("status", "nosuch", "shared");
        assertEquals(1, status.exitCode(), status.toString());
        assertTrue(status.stdout().startsWith("Name\tStatus\t Role\t\tComponents\nnosuch\tERR1\nshared\t-"),
                status.toString());
    }

    @Test
    void killedPrimaryWorkerIsRestarted() throws Exception {
        ok(a.hastctl("role", "primary", "shared"));
        awaitWorkers(a, 1);
        ProcessHandle first = a.workers().get(0);
        first.destroyForcibly();
        long deadline = System.currentTimeMillis() + 30_000;
        List<ProcessHandle> now = List.of();
        while (System.currentTimeMillis() < deadline) {
            now = a.workers();
            if (now.size() == 1 && now.get(0).pid() != first.pid()) {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(1, now.size(), a.logText());
        assertNotEquals(first.pid(), now.get(0).pid());
        assertTrue(ok(a.hastctl("list")).stdout().contains("  role: primary"));
        assertTrue(a.logText().contains("[shared] (primary) Restarting worker process."), a.logText());
    }

    @Test
    void workerThatCannotStartSendsRoleBackToInit() throws Exception {
        // Wipe the metadata: the worker exits EX_NOINPUT, a permanent error.
        Files.write(a.disk("shared"), new byte[4096]);
        ok(a.hastctl("role", "primary", "shared"));
        long deadline = System.currentTimeMillis() + 30_000;
        while (!ok(a.hastctl("status")).stdout().contains(" init ") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(ok(a.hastctl("status")).stdout().contains("shared\t-        init"), a.logText());
        assertTrue(a.logText().contains("Changing resource role back to init."), a.logText());
    }

    @Test
    void stopEndsTheDaemonAndRemovesItsFiles() throws Exception {
        ok(a.hastctl("role", "primary", "shared"));
        ok(a.hastctl("stop"));
        assertTrue(a.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS), a.logText());
        assertEquals(0, a.process().exitValue());
        assertFalse(Files.exists(a.controlSocket()));
        awaitWorkers(a, 0);
        Processes.Result status = a.hastctl("status");
        assertEquals(71, status.exitCode(), status.toString());
    }
}
