package org.hast.it.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;

/**
 * Two hastd nodes in two network namespaces with one resource, plus the steps every fault test
 * repeats: which node is primary, promoting and demoting, waiting until the pair has converged,
 * comparing both data areas and checking a {@link WriteLog} through the primary's export.
 */
final class FaultPair implements AutoCloseable {
    static final String RESOURCE = "r0";
    /** Small disks keep full synchronisations and comparisons cheap (issue #10: CI budget). */
    static final long DISK_BYTES = 96L << 20;
    /** Link timeouts short enough that a cut link is noticed within seconds. */
    static final String GLOBALS = "timeout 3\n";

    final HastCluster cluster;
    final HastNode a;
    final HastNode b;
    private HastNode primary;
    private boolean closed;

    private FaultPair(HastCluster cluster) {
        this.cluster = cluster;
        this.a = cluster.node(0);
        this.b = cluster.node(1);
    }

    /** Creates the namespaces, the disks and the config; nothing is started yet. */
    static FaultPair create(String testName, String resourceExtra) throws IOException, InterruptedException {
        Requirements.requireRoot();
        Requirements.requireTool("ip", "iproute2");
        Requirements.requireTool("tc", "iproute2");
        HastCluster cluster = HastCluster.createInNamespaces(testName);
        try {
            cluster.createDisks(DISK_BYTES, RESOURCE);
            cluster.writeConfig(GLOBALS, resourceExtra, RESOURCE);
            return new FaultPair(cluster);
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * hastctl create on both, A primary, B secondary, both complete, A's export open. On failure
     * the pair is closed here: callers that assign {@code create(...).start()} never see it.
     */
    FaultPair start() throws IOException, InterruptedException {
        try {
            cluster.startPair(RESOURCE);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
        primary = a;
        return this;
    }

    HastNode primary() {
        return primary;
    }

    HastNode secondary() {
        return primary == a ? b : a;
    }

    HastNode other(HastNode node) {
        return node == a ? b : a;
    }

    long dataSize() throws IOException {
        return DISK_BYTES - a.localOffset(RESOURCE);
    }

    /** Runs hastctl and fails with the node's log when it does not exit 0. */
    static void ok(HastNode node, String... args) throws IOException, InterruptedException {
        Processes.Result r = node.hastctl(args[0], Arrays.copyOfRange(args, 1, args.length));
        if (r.exitCode() != 0) {
            throw new AssertionError(node.name() + ": hastctl " + String.join(" ", args) + ": " + r);
        }
    }

    /** Makes {@code node} primary and waits until its export accepts clients. */
    void promote(HastNode node) throws IOException, InterruptedException {
        ok(node, "role", "primary", RESOURCE);
        primary = node;
        awaitExport(node);
    }

    void demote(HastNode node) throws IOException, InterruptedException {
        ok(node, "role", "secondary", RESOURCE);
        if (primary == node) {
            primary = null;
        }
    }

    /** Starts a node that was killed or stopped and gives it the secondary role. */
    void restartAsSecondary(HastNode node) throws IOException, InterruptedException {
        node.start();
        ok(node, "role", "secondary", RESOURCE);
    }

    static void awaitExport(HastNode node) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        IOException last = null;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(node.exportSocket(RESOURCE))) {
                try (NbdClient probe = NbdClient.connect(node.exportSocket(RESOURCE), RESOURCE)) {
                    return;
                } catch (IOException e) {
                    last = e;
                }
            }
            Thread.sleep(50);
        }
        throw new IOException(node.name() + ": export never opened (" + last + ")\n" + node.logText());
    }

    NbdClient client() throws IOException {
        return NbdClient.connect(primary.exportSocket(RESOURCE), RESOURCE);
    }

    StreamWriter writer(WriteLog log, long firstBlock, long blockCount, int depth, int flushEvery, int stream)
            throws IOException {
        return new StreamWriter(primary.exportSocket(RESOURCE), RESOURCE, log, firstBlock, blockCount, depth,
                flushEvery, stream).start();
    }

    StreamWriter writer(WriteLog log, long firstBlock, long blockCount, int depth, int flushEvery, int stream,
            int blocksPerWrite) throws IOException {
        return new StreamWriter(primary.exportSocket(RESOURCE), RESOURCE, log, firstBlock, blockCount, depth,
                flushEvery, stream, blocksPerWrite).start();
    }

    /** Checks the log through the current primary's export. */
    WriteLog.Result verify(WriteLog log) throws IOException, InterruptedException {
        try (NbdClient client = client()) {
            return log.verify(client);
        }
    }

    /** {@code dirty: N} of {@code hastctl list} on {@code node}, or -1 when it has no such line. */
    static long dirty(HastNode node) throws IOException, InterruptedException {
        String list = node.hastctl("list", RESOURCE).stdout();
        return list.lines().map(String::trim).filter(l -> l.startsWith("dirty: "))
                .mapToLong(l -> Long.parseLong(l.substring(7, l.indexOf(' ', 7)))).findFirst().orElse(-1);
    }

    /**
     * Waits until both nodes report {@code complete} and the primary has nothing dirty, then
     * compares both data areas byte for byte; returns how long convergence took.
     */
    long converge(long millis) throws IOException, InterruptedException {
        long start = System.currentTimeMillis();
        long deadline = start + millis;
        HastNode p = primary;
        HastNode s = other(p);
        HastCluster.awaitStatus(p, RESOURCE, "complete", millis);
        HastCluster.awaitStatus(s, RESOURCE, "complete", Math.max(1000, deadline - System.currentTimeMillis()));
        long dirty;
        while ((dirty = dirty(p)) != 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(p.name() + " still has " + dirty + " bytes dirty after " + millis
                        + " ms\n" + p.hastctl("list", RESOURCE).stdout());
            }
            Thread.sleep(200);
        }
        long took = System.currentTimeMillis() - start;
        assertSameDataAreas();
        return took;
    }

    void assertSameDataAreas() throws IOException {
        long offA = a.localOffset(RESOURCE);
        long offB = b.localOffset(RESOURCE);
        if (offA != offB) {
            throw new AssertionError("localoff differs: " + offA + " vs " + offB);
        }
        DataAreas.assertSame(a.local(RESOURCE), offA, b.local(RESOURCE), offB, DISK_BYTES - offA,
                "data areas of " + a.name() + " and " + b.name());
    }

    /** Resident set of {@code pid} in KiB (VmRSS of /proc/<pid>/status), or -1 once it is gone. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** Closes the cluster once, whoever asks first. */
    @Override
    public void close() throws InterruptedException {
        if (!closed) {
            closed = true;
            cluster.close();
        }
    }
}
