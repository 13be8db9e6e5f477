package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** One real hastd: pidfile, signals, reload, hooks and control-socket access (spec §1.9, §3, §9). */
class DaemonLifecycleIT {
    private HastCluster cluster;

    @AfterEach
    void stopNodes() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private HastNode single(TestInfo test, String globals, String... resources) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 1);
        cluster.writeConfig(globals, "", resources);
        HastNode node = cluster.node(0);
        cluster.createDisks(16L << 20, resources);
        for (String resource : resources) {
            Processes.Result created = node.hastctl("create", resource);
            assertEquals(0, created.exitCode(), created.toString());
        }
        return node;
    }

    private static Processes.Result ok(Processes.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    private static void await(String what, HastNode node, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(condition.getAsBoolean(), what + "\n" + node.logText());
    }

    @Test
    void secondDaemonOnSamePidfileIsRefusedAndSigtermRemovesIt(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0", "r1");
        node.start("-P", node.pidfile().toString());
        assertEquals(Long.toString(node.pid()), Files.readString(node.pidfile()).trim());
        Processes.Result second = Processes.run(List.of(Requirements.projectRoot().resolve("bin/hastd").toString(),
                "-F", "-P", node.pidfile().toString(), "-c", node.config().toString()),
                Map.of("HAST_NODE", node.name()), Duration.ofSeconds(60));
        assertEquals(SysExits.EX_TEMPFAIL, second.exitCode(), second.toString());
        assertEquals(List.of("[ERROR] Another hastd is already running, pidfile: " + node.pidfile()
                + ", pid: " + node.pid() + "."), second.stderrLines());
        assertTrue(Files.exists(node.controlSocket()), "the running daemon keeps its socket");
        ok(node.hastctl("status"));

        node.signal("TERM");
        assertTrue(node.process().waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, node.process().exitValue());
        assertFalse(Files.exists(node.pidfile()), "A15: pidfile removed on SIGTERM");
        assertFalse(Files.exists(node.controlSocket()));
        assertTrue(node.logText().contains("[INFO] Termination signal received, exiting."), node.logText());
    }

    @Test
    void daemonisedStartReturnsOnceServing(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0");
        Processes.Result start = Processes.run(List.of(Requirements.projectRoot().resolve("bin/hastd").toString(),
                "-c", node.config().toString()), Map.of("HAST_NODE", node.name()), Duration.ofSeconds(60));
        assertEquals(0, start.exitCode(), start.toString());
        long pid = Long.parseLong(Files.readString(node.pidfile()).trim());
        try {
            ok(node.hastctl("status"));
            ok(node.hastctl("role", "primary", "r0"));
            assertTrue(ok(node.hastctl("status")).stdout().contains("degraded primary"));
        } finally {
            ok(node.hastctl("stop"));
        }
        ProcessHandle daemon = ProcessHandle.of(pid).orElse(null);
        if (daemon != null) {
            daemon.onExit().get(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(node.pidfile()));
    }

    @Test
    void hookSeesRoleChangesInOrder(TestInfo test) throws Exception {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 1);
        HastNode node = cluster.node(0);
        Path events = node.dir().resolve("events.txt");
        Path hook = node.dir().resolve("hook.sh");
        Files.writeString(hook, "#!/bin/sh\necho \"$@\" >> " + events + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        cluster.writeConfig("exec " + hook, "", "r0");
        cluster.createDisks(16L << 20, "r0");
        ok(node.hastctl("create", "r0"));
        node.start();
        ok(node.hastctl("role", "primary", "r0"));
        ok(node.hastctl("role", "secondary", "r0"));
        ok(node.hastctl("role", "secondary", "r0"));
        ok(node.hastctl("role", "init", "r0"));
        List<String> expected = List.of("role r0 init primary", "role r0 primary secondary", "role r0 secondary init");
        await("three role events", node, () -> lines(events).size() >= 3);
        assertEquals(expected, lines(events));
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    @Test
    void reloadAddsRemovesAndRestartsResources(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0", "r1", "r2");
        node.start();
        ok(node.hastctl("role", "primary", "r0", "r1"));
        DaemonRolesIT.awaitWorkers(node, 2);
        long r1Worker = pidOf(node, "r1");
        long r0Worker = pidOf(node, "r0");

        // r2 removed, r3 added, r0's local path changed (restart), r1's timeout changed (live).
        String config = Files.readString(node.config());
        Path r0b = node.dir().resolve("r0b.img");
        Files.copy(node.dir().resolve("r0.img"), r0b);
        String changed = config
                .replace(node.dir().resolve("r0.img").toString(), r0b.toString())
                .replace("resource r2 {", "resource r3 {")
                .replace("resource r1 {\n", "resource r1 {\ntimeout 7\n");
        Files.writeString(node.config(), changed);
        node.signal("HUP");
        await("reloaded", node, () -> node.logText().contains("Configuration reloaded successfully."));
        Processes.Result status = ok(node.hastctl("status"));
        List<String> names = status.stdout().lines().skip(1).map(l -> l.split("\t")[0]).toList();
        assertEquals(List.of("r0", "r1", "r3"), names, status.toString());
        assertTrue(status.stdout().contains("r0\tdegraded primary        " + r0b), status.toString());
        assertEquals(r1Worker, pidOf(node, "r1"), "a primary's timeout change is applied live");
        assertNotEquals(r0Worker, pidOf(node, "r0"), "a new local path needs a new worker");

        Files.writeString(node.config(), "timeout 0\n" + changed);
        node.signal("HUP");
        await("refused reload", node, () -> node.logText().contains("Configuration not reloaded."));
        Files.writeString(node.config(), changed);
        assertEquals(3, ok(node.hastctl("status")).stdout().lines().count() - 1, "old configuration kept");
    }

    /**
     * hastd started as under {@code nohup}, from a shell's background job or some init systems:
     * SIGHUP, SIGINT and SIGTERM inherited as ignored. The JVM alone would keep them ignored
     * (issue #20); hastd resets them, so reload and both termination signals still work.
     */
    @Test
    void signalsIgnoredByTheParentStillReloadAndTerminate(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0");
        node.wrapWith(List.of("bash", "-c", "trap '' HUP INT TERM; exec \"$@\"", "hastd"));
        for (String termination : List.of("INT", "TERM")) {
            int logStart = node.logText().length();
            node.start();
            String config = Files.readString(node.config());
            String renamed = config.contains("resource r0 {") ? config.replace("resource r0 {", "resource r1 {")
                    : config.replace("resource r1 {", "resource r0 {");
            String expected = renamed.contains("resource r0 {") ? "r0" : "r1";
            Files.writeString(node.config(), renamed);
            node.signal("HUP");
            await("reloaded", node, () -> node.logText().indexOf("Configuration reloaded successfully.", logStart) >= 0);
            List<String> names = ok(node.hastctl("status")).stdout().lines().skip(1).map(l -> l.split("\t")[0]).toList();
            assertEquals(List.of(expected), names);

            node.signal(termination);
            assertTrue(node.process().waitFor(30, TimeUnit.SECONDS), "SIG" + termination + " ignored\n" + node.logText());
            assertEquals(0, node.process().exitValue());
            assertTrue(node.logText().indexOf("[INFO] Termination signal received, exiting.", logStart) >= 0);
        }
    }

    @Test
    void reloadSwitchesControlAndListenAddresses(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0");
        node.start();
        Path newSocket = node.controlSocket().resolveSibling(node.name() + "-new.sock");
        int newPort = HastCluster.freePort();
        String config = Files.readString(node.config());
        Files.writeString(node.config(), config
                .replace("uds://" + node.controlSocket(), "uds://" + newSocket)
                .replace("tcp4://127.0.0.1:" + node.port(), "tcp4://127.0.0.1:" + newPort));
        node.signal("HUP");
        await("reloaded", node, () -> node.logText().contains("Configuration reloaded successfully."));
        assertFalse(Files.exists(node.controlSocket()), "old control socket removed");
        ok(node.hastctl("status"));
        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", newPort)) {
            assertTrue(probe.isConnected());
        }
        assertThrows(java.net.ConnectException.class, () -> new java.net.Socket("127.0.0.1", node.port()).close());
    }

    @Test
    void defaultListenOpensBothFamiliesOnOnePort(TestInfo test) throws Exception {
        HastNode node = single(test, "", "r0");
        // No listen line for this node: the defaults tcp4://0.0.0.0:8457 and tcp6://[::]:8457 (§1.6).
        Files.writeString(node.config(), Files.readString(node.config())
                .replaceAll("\tlisten tcp4://127.0.0.1:[0-9]+\n", ""));
        node.start();
        // The sockets are open before "Started successfully"; these lines are logged just after it.
        await("tcp4 default", node, () -> node.logText().contains("Listening on address tcp4://0.0.0.0:8457."));
        await("tcp6 default", node, () -> node.logText().contains("Listening on address tcp6://[::]:8457."));
        try (java.net.Socket v4 = new java.net.Socket("127.0.0.1", 8457);
             java.net.Socket v6 = new java.net.Socket("::1", 8457)) {
            assertTrue(v4.isConnected() && v6.isConnected());
        }
        ok(node.hastctl("stop"));
    }

    private static long pidOf(HastNode node, String resource) throws Exception {
        Processes.Result list = ok(node.hastctl("list", resource));
        return list.stdout().lines().filter(l -> l.startsWith("  workerpid: "))
                .mapToLong(l -> Long.parseLong(l.substring(13))).findFirst().orElse(0);
    }

    @Test
    void otherUsersAreRefused(TestInfo test) throws Exception {
        Requirements.requireRoot();
        Path setpriv = Requirements.requireTool("setpriv", "util-linux");
        HastNode node = single(test, "", "r0");
        node.start();
        // nobody must reach the config and the socket's directory; the socket's own mode is the test.
        Path socketDir = node.controlSocket().getParent();
        Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwx--x--x"));
        Path readableConfig = socketDir.resolve("hast.conf");
        Files.copy(node.config(), readableConfig);
        Files.setPosixFilePermissions(readableConfig, PosixFilePermissions.fromString("rw-r--r--"));
        List<String> asNobody = new ArrayList<>(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534",
                "--clear-groups", Requirements.projectRoot().resolve("bin/hastctl").toString(),
                "status", "-c", readableConfig.toString()));
        Processes.Result denied = Processes.run(asNobody, Map.of("HAST_NODE", node.name()), Duration.ofSeconds(60));
        Requirements.require(!denied.stderr().contains("Permission denied") || denied.stderr().contains("hastd via"),
                "user nobody cannot read the checkout: " + denied.stderr());
        assertEquals(SysExits.EX_OSERR, denied.exitCode(), "mode 0600 socket: " + denied);

        // Past the file mode, the daemon's own credential check refuses as well.
        Files.setPosixFilePermissions(node.controlSocket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        Processes.Result refused = Processes.run(asNobody, Map.of("HAST_NODE", node.name()), Duration.ofSeconds(60));
        assertEquals(SysExits.EX_UNAVAILABLE, refused.exitCode(), refused.toString());
        await("refusal logged", node, () -> node.logText().contains("Control connection from user nobody refused"));
        ok(node.hastctl("status"));
    }
}
