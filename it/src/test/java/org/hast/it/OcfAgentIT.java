package org.hast.it;

import static org.hast.it.SyncChecks.RECONNECT_MILLIS;
import static org.hast.it.SyncChecks.RESOURCE;
import static org.hast.it.SyncChecks.hastctl;
import static org.hast.it.SyncChecks.writeRegions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14 item 2: the Pacemaker resource agent packaging/ocf/hast against two real hastd
 * (HAST_NODE picks each node's section), outside a cluster: its meta-data is valid OCF,
 * {@code ocf-tester} passes, monitor maps hast's roles to OCF codes, and a real split-brain
 * (reported to the agent by hastd's exec hook) makes it fail until the split-brain is resolved.
 */
class OcfAgentIT {
    private static final Duration AGENT_LIMIT = Duration.ofMinutes(2);
    private static final long MIB = 1L << 20;
    private static final String DTD = "/usr/share/resource-agents/ra-api-1.dtd";
    private static final String SHELL_FUNCTIONS = "/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs";
    private static final int OCF_SUCCESS = 0;
    private static final int OCF_ERR_GENERIC = 1;
    private static final int OCF_NOT_RUNNING = 7;
    private static final int OCF_RUNNING_PROMOTED = 8;

    private HastCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    static Path agent() {
        return Requirements.projectRoot().resolve("packaging/ocf/hast");
    }

    static void requireResourceAgents() {
        Requirements.require(Files.isReadable(Path.of(SHELL_FUNCTIONS)),
                SHELL_FUNCTIONS + " missing (apt-get install resource-agents)");
    }

    @Test
    void metaDataIsValidAgainstTheOcfDtd() throws Exception {
        requireResourceAgents();
        Path xmllint = Requirements.requireTool("xmllint", "libxml2-utils");
        Requirements.require(Files.isReadable(Path.of(DTD)), DTD + " missing (apt-get install resource-agents)");
        Processes.Result meta = Processes.run(List.of(agent().toString(), "meta-data"), Map.of(), AGENT_LIMIT);
        assertEquals(OCF_SUCCESS, meta.exitCode(), meta.toString());
        Path xml = Files.createTempFile("hast-ocf-meta", ".xml");
        try {
            Files.writeString(xml, meta.stdout());
            Processes.Result check = Processes.run(
                    List.of(xmllint.toString(), "--noout", "--dtdvalid", DTD, xml.toString()), Map.of(), AGENT_LIMIT);
            assertEquals(0, check.exitCode(), check.toString());
        } finally {
            Files.delete(xml);
        }
        assertTrue(meta.stdout().contains("<parameter name=\"resource\" unique=\"1\" required=\"1\">"), meta.stdout());
    }

    @Test
    void ocfTesterPassesAgainstARealPair(TestInfo test) throws Exception {
        requireResourceAgents();
        Path tester = Requirements.requireTool("ocf-tester", "resource-agents");
        startPair(test);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        // B waits as secondary, so that A's promotions inside ocf-tester really connect.
        expectAgent(b, "start", OCF_SUCCESS);
        List<String> argv = new ArrayList<>(List.of(tester.toString(), "-n", "hast-" + RESOURCE));
        for (Map.Entry<String, String> parameter : parameters(a).entrySet()) {
            argv.add("-o");
            argv.add(parameter.getKey() + "=" + parameter.getValue());
        }
        argv.add(agent().toString());
        Processes.Result result = Processes.run(argv, Map.of("HA_RSCTMP", rscTmp().toString()), AGENT_LIMIT);
        System.out.println("ocf-tester:\n" + result.stdout() + result.stderr());
        assertEquals(0, result.exitCode(), result + "\n" + a.logText());
        assertTrue(result.stdout().contains("passed all tests"), result.toString());
        assertEquals(OCF_NOT_RUNNING, agent(a, "monitor").exitCode(), "ocf-tester ends with the resource stopped");
    }

    @Test
    void monitorFollowsTheRolesAndASplitBrainFails(TestInfo test) throws Exception {
        requireResourceAgents();
        SyncChecks.requireTools();
        startPair(test);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        expectAgent(a, "monitor", OCF_NOT_RUNNING);
        expectAgent(b, "start", OCF_SUCCESS);
        expectAgent(a, "start", OCF_SUCCESS);
        expectAgent(a, "promote", OCF_SUCCESS);
        expectAgent(a, "monitor", OCF_RUNNING_PROMOTED);
        expectAgent(b, "monitor", OCF_SUCCESS);
        HastCluster.awaitStatus(a, RESOURCE, "complete", 30_000);
        SyncChecks.awaitExport(a);
        writeRegions(a, MIB, 1, 0);

        // Both sides write while apart (docs/split-brain.md's example), then meet again.
        expectAgent(b, "stop", OCF_SUCCESS);
        expectAgent(b, "monitor", OCF_NOT_RUNNING);
        HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
        writeRegions(a, MIB, 2, 4 * MIB);
        expectAgent(a, "stop", OCF_SUCCESS);
        expectAgent(b, "start", OCF_SUCCESS);
        expectAgent(b, "promote", OCF_SUCCESS);
        SyncChecks.awaitExport(b);
        writeRegions(b, MIB, 3, 8 * MIB);
        expectAgent(a, "start", OCF_SUCCESS);
        for (HastNode node : List.of(a, b)) {
            Processes.Result failed = awaitAgent(node, "monitor", OCF_ERR_GENERIC, RECONNECT_MILLIS);
            assertTrue(failed.stderr().contains("split-brain on hast resource " + RESOURCE), failed.toString());
        }
        assertEquals(OCF_ERR_GENERIC, agent(b, "promote").exitCode(), "no promotion during a split-brain");

        // The recovery of docs/split-brain.md: A is re-created; the next connect clears it.
        expectAgent(a, "stop", OCF_SUCCESS);
        hastctl(a, "create", RESOURCE);
        expectAgent(a, "start", OCF_SUCCESS);
        awaitAgent(b, "monitor", OCF_RUNNING_PROMOTED, RECONNECT_MILLIS);
        awaitAgent(a, "monitor", OCF_SUCCESS, RECONNECT_MILLIS);
        expectAgent(a, "stop", OCF_SUCCESS);
        expectAgent(b, "stop", OCF_SUCCESS);
    }

    /**
     * The veto of issue #14: a primary that steps down with data its peer lacks must put the
     * peer's promotion score to -INFINITY itself, and in the CIB before its demote returns. The
     * peer's own monitor would do it only at its next interval, and the scheduler may already
     * have planned the peer's promotion on its old score (a standby right after the peer rejoined).
     */
    @Test
    void demoteOfADirtyPrimaryVetoesItsPeerAtOnce(@TempDir Path dir) throws Exception {
        requireResourceAgents();
        AgentClusterStubs stubs = AgentClusterStubs.create(dir, "primary", "complete", 4 * MIB);
        stubs.setAttribute("nodea", "master-hast", "75", false);
        Processes.Result demote = Processes.run(List.of(agent().toString(), "demote"), stubs.environment("nodeb"),
                AGENT_LIMIT);
        assertEquals(OCF_SUCCESS, demote.exitCode(), demote.toString());
        assertEquals("secondary", stubs.role());
        assertEquals(Optional.of("1"), stubs.cibAttribute("nodea", "hast-outdated-" + RESOURCE));
        assertEquals(Optional.of("-INFINITY"), stubs.cibAttribute("nodea", "master-hast"),
                "the sync target's promotion score is vetoed before the demote returns");
    }

    /**
     * After a cut link healed without fencing, both nodes are primary with writes of their own.
     * Neither may mark the other outdated: the scheduler would demote both, and two marked
     * secondaries never meet, so hastd would never detect the split-brain. A peer whose score
     * the CIB does not show yet (the partition just healed) is not marked by a monitor either.
     */
    @Test
    void aDirtyPrimaryLeavesAPeerThatIsPrimaryTooUnmarked(@TempDir Path dir) throws Exception {
        requireResourceAgents();
        AgentClusterStubs stubs = AgentClusterStubs.create(dir, "primary", "degraded", 4 * MIB);
        String mark = "hast-outdated-" + RESOURCE;
        Processes.Result early = runAgent(stubs, "monitor");
        assertEquals(OCF_RUNNING_PROMOTED, early.exitCode(), early.toString());
        assertEquals(Optional.empty(), stubs.cibAttribute("nodea", mark), "no score seen yet: no mark");

        stubs.setAttribute("nodea", "master-hast", "100", false);
        stubs.setAttribute("nodeb", mark, "1", false);  // left by nodea's monitor in the race
        Processes.Result monitor = runAgent(stubs, "monitor");
        assertEquals(OCF_RUNNING_PROMOTED, monitor.exitCode(), monitor.toString());
        assertEquals(Optional.empty(), stubs.cibAttribute("nodea", mark));
        assertEquals(Optional.of("100"), stubs.cibAttribute("nodea", "master-hast"));
        assertEquals(Optional.empty(), stubs.cibAttribute("nodeb", mark), "a primary drops a mark on itself");

        Processes.Result demote = runAgent(stubs, "demote");
        assertEquals(OCF_SUCCESS, demote.exitCode(), demote.toString());
        assertEquals("secondary", stubs.role());
        assertEquals(Optional.empty(), stubs.cibAttribute("nodea", mark), "the peer kept as primary is not vetoed");
        assertEquals(Optional.of("100"), stubs.cibAttribute("nodea", "master-hast"));
        assertTrue(demote.stderr().contains("split-brain"), demote.toString());

        stubs.setAttribute("nodea", "master-hast", "10", false);
        stubs.write("role", "primary");
        Processes.Result monitorOfSecondaryPeer = runAgent(stubs, "monitor");
        assertEquals(OCF_RUNNING_PROMOTED, monitorOfSecondaryPeer.exitCode(), monitorOfSecondaryPeer.toString());
        assertEquals(Optional.of("1"), stubs.cibAttribute("nodea", mark), "a secondary peer is still marked");
        assertEquals(Optional.of("-INFINITY"), stubs.cibAttribute("nodea", "master-hast"));
    }

    private Processes.Result runAgent(AgentClusterStubs stubs, String action) throws Exception {
        return Processes.run(List.of(agent().toString(), action), stubs.environment("nodeb"), AGENT_LIMIT);
    }

    /**
     * A promote scheduled right after the primary's demote must see the mark that demote set,
     * even while the CIB does not show it yet: the agent reads the mark from attrd.
     */
    @Test
    void promoteRefusesOnAMarkTheCibDoesNotShowYet(@TempDir Path dir) throws Exception {
        requireResourceAgents();
        AgentClusterStubs stubs = AgentClusterStubs.create(dir, "secondary", "complete", 0);
        stubs.lagCib();
        stubs.setAttribute("nodea", "hast-outdated-" + RESOURCE, "1", true);
        Processes.Result promote = Processes.run(List.of(agent().toString(), "promote"),
                stubs.environment("nodea"), AGENT_LIMIT);
        assertEquals(OCF_ERR_GENERIC, promote.exitCode(), promote.toString());
        assertTrue(promote.stderr().contains("target of an unfinished synchronisation"), promote.toString());
        assertEquals("secondary", stubs.role(), "the sync target stays secondary");
    }

    /** Two created, running hastd whose exec hook is the agent; both nodes in role init. */
    private void startPair(TestInfo test) throws IOException, InterruptedException {
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(64 * MIB, RESOURCE);
        cluster.writeConfig("exec " + agent(), "", RESOURCE);
        for (HastNode node : cluster.nodes()) {
            node.putEnvironment("HA_RSCTMP", rscTmp().toString());
            hastctl(node, "create", RESOURCE);
            node.start();
        }
    }

    /** The agent's state directory (split-brain markers), inside the cluster's directory. */
    private Path rscTmp() {
        return cluster.dir().resolve("rsctmp");
    }

    private Map<String, String> parameters(HastNode node) {
        return Map.of("resource", RESOURCE, "config", node.config().toString(), "node", node.name(),
                "hastctl", Requirements.projectRoot().resolve("bin/hastctl").toString(), "device_wait", "0");
    }

    private Processes.Result agent(HastNode node, String action) throws IOException, InterruptedException {
        Map<String, String> env = new java.util.HashMap<>();
        parameters(node).forEach((name, value) -> env.put("OCF_RESKEY_" + name, value));
        env.put("OCF_ROOT", "/usr/lib/ocf");
        env.put("OCF_RESOURCE_INSTANCE", "hast-" + RESOURCE);
        env.put("HA_RSCTMP", rscTmp().toString());
        return Processes.run(List.of(agent().toString(), action), env, AGENT_LIMIT);
    }

    private void expectAgent(HastNode node, String action, int code) throws IOException, InterruptedException {
        Processes.Result result = agent(node, action);
        assertEquals(code, result.exitCode(), node.name() + " " + action + ": " + result + "\n" + node.logText());
    }

    private Processes.Result awaitAgent(HastNode node, String action, int code, long millis)
            throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        Processes.Result result = agent(node, action);
        while (result.exitCode() != code && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            result = agent(node, action);
        }
        assertEquals(code, result.exitCode(), node.name() + " " + action + ": " + result + "\n" + node.logText());
        return result;
    }
}
