package org.hast.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two (or more) hastd nodes on 127.0.0.1 sharing one hast.conf, as the integration tests and
 * later the fault tests use them. Node directories live under {@code target/it-nodes/};
 * {@link #close} deletes their disk images and other large files and the socket directory in
 * the system temporary directory, and {@link NodeLogsOnFailure} deletes the rest once the test
 * passed, so only a failed test's logs are left.
 */
public final class HastCluster implements AutoCloseable {
    private final Path dir;
    private final List<HastNode> nodes = new ArrayList<>();
    private final Path config;
    /** Unix sockets of the nodes, in the system temporary directory (path length). */
    private Path sockets;
    /** The namespaces the two nodes run in, or null for the usual loopback cluster. */
    private NetnsPair netns;
    private HastCluster(Path dir) {
        this.dir = dir;
        this.config = dir.resolve("hast.conf");
    }

    /** A cluster of nodes {@code nodeA}, {@code nodeB}, … in a fresh directory named after the test. */
    public static HastCluster create(String testName, int nodeCount) throws IOException {
        Path base = Path.of(System.getProperty("user.dir"), "target", "it-nodes");
        Files.createDirectories(base);
        Path dir = Files.createTempDirectory(base, testName.replaceAll("[^A-Za-z0-9_.-]", "_") + "-");
        HastCluster cluster = new HastCluster(dir);
        NodeDirectories.created(dir);
        Path sockets = Files.createTempDirectory("hast-it-");
        cluster.sockets = sockets;
        for (int i = 0; i < nodeCount; i++) {
            String name = "node" + (char) ('A' + i);
            cluster.nodes.add(new HastNode(name, dir.resolve(name), freePort(), sockets));
        }
        return cluster;
    }

    /**
     * A two-node cluster whose hastd processes run in two fresh network namespaces joined by a
     * veth pair ({@link NetnsPair}): node A on 10.x.y.1, node B on 10.x.y.2. Control and export
     * sockets stay Unix sockets on the shared file system, so hastctl and NBD clients run from
     * here. {@link #close} stops the nodes, then deletes the namespaces, even after a failure.
     */
    public static HastCluster createInNamespaces(String testName) throws IOException, InterruptedException {
        NetnsPair pair = NetnsPair.create();
        try {
            HastCluster cluster = create(testName, 2);
            cluster.netns = pair;
            for (int i = 0; i < 2; i++) {
                cluster.nodes.get(i).runInside(pair.address(i), pair.execPrefix(i));
            }
            return cluster;
        } catch (IOException | RuntimeException e) {
            pair.close();
            throw e;
        }
    }

    /** The namespaces of a {@link #createInNamespaces} cluster; null otherwise. */
    public NetnsPair netns() {
        return netns;
    }

    private NetnsPair requireNetns() {
        if (netns == null) {
            throw new IllegalStateException("link faults need a cluster from createInNamespaces");
        }
        return netns;
    }

    /** Cuts the replication link (both veth ends down). */
    public void linkDown() throws IOException, InterruptedException {
        requireNetns().linkDown();
    }

    public void linkUp() throws IOException, InterruptedException {
        requireNetns().linkUp();
    }

    /** Caps the link at {@code rate} ({@code 20mbit}) both ways; {@code null} removes the cap. */
    public void rateLimit(String rate) throws IOException, InterruptedException {
        requireNetns().rateLimit(rate);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public Path dir() {
        return dir;
    }

    /** Runs every node's hastd and hastctl from {@code programs} instead of the checkout's bin/. */
    public void useProgramsIn(Path programs) {
        for (HastNode node : nodes) {
            node.useProgramsIn(programs);
        }
    }

    public Path config() {
        return config;
    }

    public HastNode node(int index) {
        return nodes.get(index);
    }

    public List<HastNode> nodes() {
        return nodes;
    }

    /** Creates each node's sparse local component of {@code bytes} for every resource named. */
    public void createDisks(long bytes, String... resources) throws IOException {
        for (HastNode node : nodes) {
            for (String resource : resources) {
                try (RandomAccessFile file = new RandomAccessFile(node.disk(resource).toFile(), "rw")) {
                    file.setLength(bytes);
                }
            }
        }
    }

    /**
     * Writes hast.conf: the node sections, then {@code globals}, then one resource per name with
     * each node's local disk and the other node (of a pair) as remote; {@code resourceExtra} goes
     * inside every resource block.
     */
    public void writeConfig(String globals, String resourceExtra, String... resources) throws IOException {
        StringBuilder text = new StringBuilder();
        for (HastNode node : nodes) {
            text.append(node.nodeSection());
        }
        // Tests ask for /dev/hast-style devices explicitly; everything else runs without one.
        text.append(globals.contains("device ") ? "" : "device none\n").append(globals).append('\n');
        for (String resource : resources) {
            text.append("resource ").append(resource).append(" {\n").append(resourceExtra).append('\n');
            for (int i = 0; i < nodes.size(); i++) {
                HastNode node = nodes.get(i);
                HastNode peer = nodes.get(nodes.size() == 2 ? 1 - i : i);
                String local = node.local(resource).toString();
                text.append("\ton ").append(node.name()).append(" {\n\t\tlocal ").append(local)
                        .append("\n\t\tremote ").append(nodes.size() == 2 ? "tcp4://" + peer.address() + ":" + peer.port() : "none")
                        .append("\n\t\texport uds://").append(node.exportSocket(resource))
                        .append("\n\t}\n");
            }
            text.append("}\n");
        }
        Files.writeString(config, text);
        for (HastNode node : nodes) {
            node.setConfig(config);
        }
    }

    /**
     * The usual start of a two-node test: {@code hastctl create} and hastd on both nodes, node B
     * secondary, node A primary, and both report {@code complete}; node A's export is then open.
     */
    public void startPair(String resource) throws IOException, InterruptedException {
        for (HastNode node : nodes) {
            expectOk(node, node.hastctl("create", resource));
        }
        // Both daemons start at once: a JVM start is seconds on a loaded CI machine.
        int[] marks = new int[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            marks[i] = nodes.get(i).launch();
        }
        for (int i = 0; i < nodes.size(); i++) {
            nodes.get(i).awaitStarted(marks[i]);
        }
        expectOk(node(1), node(1).hastctl("role", "secondary", resource));
        expectOk(node(0), node(0).hastctl("role", "primary", resource));
        for (HastNode node : nodes) {
            awaitStatus(node, resource, "complete", 60_000);
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(node(0).exportSocket(resource))) {
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("node A never opened its export:\n" + node(0).logText());
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code hastctl status} shows {@code resource} with {@code status} on {@code node}. */
    public static void awaitStatus(HastNode node, String resource, String status, long millis)
            throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        String row = "";
        while (System.currentTimeMillis() < deadline) {
            row = node.hastctl("status").stdout().lines().skip(1)
                    .filter(l -> l.startsWith(resource + "\t")).findFirst().orElse("");
            if (row.startsWith(resource + "\t" + status)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException(node.name() + ": " + resource + " never became " + status + " (last: " + row + ")\n"
                + node.logText());
    }

    private static void expectOk(HastNode node, Processes.Result result) throws IOException {
        if (result.exitCode() != 0) {
            throw new IOException(node.name() + ": hastctl exited " + result.exitCode() + ": " + result.stdout()
                    + result.stderr() + "\n" + node.logText());
        }
    }

    /** Files at least this large are deleted on close unless they are logs. */
    private static final long LARGE_FILE_BYTES = 1 << 20;

    /**
     * Stops every node (processes first), then deletes the namespaces if there are any, the
     * socket directory, and every large file of the node directories except logs.
     */
    @Override
    public void close() throws InterruptedException {
        try {
            for (HastNode node : nodes) {
                node.close();
            }
        } finally {
            try {
                if (netns != null) {
                    netns.close();
                }
            } finally {
                TestFiles.deleteTree(sockets);
                TestFiles.deleteMatching(dir, (file, attrs) -> attrs.size() >= LARGE_FILE_BYTES
                        && !file.getFileName().toString().endsWith(".log"), false);
            }
        }
    }
}
