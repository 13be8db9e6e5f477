package org.hast.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces joined by one veth pair, for fault tests that cut or slow the
 * replication link (issue #10). Names are unique per JVM and per pair ({@code hastfA<pid>x<n>}),
 * so parallel or crashed runs never meet; addresses are 10.x inside the namespaces only, and
 * nothing is added to the root namespace (the pair is created inside namespace A and one end is
 * moved to B at once). {@link #close} stops whatever still runs inside (those processes can only
 * be ours: the namespaces are private to this pair) and deletes both namespaces, which deletes
 * the veth pair with them. A shutdown hook does the same if the JVM exits without closing.
 */
public final class NetnsPair implements AutoCloseable {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String[] namespaces = new String[2];
    private final String[] veths = new String[2];
    private final String[] addresses = new String[2];
    private final Thread cleanupHook;
    private volatile boolean closed;

    private NetnsPair(long pid, int n) {
        for (int i = 0; i < 2; i++) {
            char side = (char) ('A' + i);
            namespaces[i] = "hastf" + side + pid + "x" + n;
            // Interface names are limited to 15 bytes.
            veths[i] = "hf" + side + (pid % 1_000_000) + "x" + (n % 100);
            addresses[i] = "10.201." + (n % 250) + "." + (i + 1);
        }
        cleanupHook = new Thread(this::deleteQuietly, "netns-cleanup-" + namespaces[0]);
    }

    /** Creates both namespaces, the veth pair between them and brings everything up. */
    public static NetnsPair create() throws IOException, InterruptedException {
        Requirements.requireRoot();
        Requirements.requireTool("ip", "iproute2");
        NetnsPair pair = new NetnsPair(ProcessHandle.current().pid(), COUNTER.incrementAndGet());
        Runtime.getRuntime().addShutdownHook(pair.cleanupHook);
        boolean ok = false;
        try {
            pair.ip("netns", "add", pair.namespaces[0]);
            pair.ip("netns", "add", pair.namespaces[1]);
            pair.ip("-n", pair.namespaces[0], "link", "add", pair.veths[0], "type", "veth", "peer", "name",
                    pair.veths[1], "netns", pair.namespaces[1]);
            for (int i = 0; i < 2; i++) {
                pair.ip("-n", pair.namespaces[i], "addr", "add", pair.addresses[i] + "/24", "dev", pair.veths[i]);
                pair.ip("-n", pair.namespaces[i], "link", "set", "lo", "up");
                pair.ip("-n", pair.namespaces[i], "link", "set", pair.veths[i], "up");
            }
            ok = true;
            return pair;
        } finally {
            if (!ok) {
                pair.close();
            }
        }
    }

    public String namespace(int side) {
        return namespaces[side];
    }

    public String address(int side) {
        return addresses[side];
    }

    /** The veth end inside namespace {@code side}, e.g. for keepalived's {@code interface}. */
    public String veth(int side) {
        return veths[side];
    }

    /** The command prefix that runs a program inside namespace {@code side}. */
    public List<String> execPrefix(int side) {
        return List.of("ip", "netns", "exec", namespaces[side]);
    }

    /** Cuts the link: both veth ends go down, so neither side can send (no RST, no FIN). */
    public void linkDown() throws IOException, InterruptedException {
        for (int i = 0; i < 2; i++) {
            ip("-n", namespaces[i], "link", "set", veths[i], "down");
        }
    }

    public void linkUp() throws IOException, InterruptedException {
        for (int i = 0; i < 2; i++) {
            ip("-n", namespaces[i], "link", "set", veths[i], "up");
        }
    }

    /**
     * Cuts the link as a broken cable or switch does: an nftables rule in each namespace drops
     * everything in and out of its veth end, while the interfaces stay up (no carrier loss for
     * keepalived or corosync to see, no RST or FIN for hast). Loopback traffic still flows.
     */
    public void blockLink() throws IOException, InterruptedException {
        Requirements.requireTool("nft", "nftables");
        for (int i = 0; i < 2; i++) {
            run(i, "nft", "add table inet hastcut { chain in { type filter hook input priority 0; "
                    + "iifname \"" + veths[i] + "\" drop; }; chain out { type filter hook output priority 0; "
                    + "oifname \"" + veths[i] + "\" drop; }; }");
        }
    }

    /** Undoes {@link #blockLink}. */
    public void unblockLink() throws IOException, InterruptedException {
        for (int i = 0; i < 2; i++) {
            run(i, "nft", "delete table inet hastcut");
        }
    }

    /**
     * Caps both directions at {@code rate} (tc syntax, e.g. {@code 20mbit}) with an htb root
     * qdisc on each end (htb shapes egress only); {@code null} removes the cap.
     */
    public void rateLimit(String rate) throws IOException, InterruptedException {
        for (int i = 0; i < 2; i++) {
            List<String> del = new ArrayList<>(execPrefix(i));
            del.addAll(List.of("tc", "qdisc", "del", "dev", veths[i], "root"));
            Processes.run(del, Map.of(), LIMIT); // fails harmlessly when no qdisc is installed
            if (rate != null) {
                run(i, "tc", "qdisc", "add", "dev", veths[i], "root", "handle", "1:", "htb", "default", "10");
                run(i, "tc", "class", "add", "dev", veths[i], "parent", "1:", "classid", "1:10", "htb",
                        "rate", rate, "ceil", rate, "burst", "32k");
            }
        }
    }

    private void run(int side, String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(execPrefix(side));
        command.addAll(List.of(argv));
        check(Processes.run(command, Map.of(), LIMIT), command);
    }

    private void ip(String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(argv));
        check(Processes.run(command, Map.of(), LIMIT), command);
    }

    private static void check(Processes.Result result, List<String> command) throws IOException {
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + ": " + result);
        }
    }

    /** PIDs of the processes still inside namespace {@code side}. */
    public List<Long> pids(int side) throws IOException, InterruptedException {
        Processes.Result r = Processes.run(List.of("ip", "netns", "pids", namespaces[side]), Map.of(), LIMIT);
        return r.stdout().lines().map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
    }

    private void deleteQuietly() {
        try {
            for (int i = 0; i < 2; i++) {
                // Only our own processes can be in these private namespaces: stop leftovers first.
                for (long pid : pids(i)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                Processes.run(List.of("ip", "netns", "del", namespaces[i]), Map.of(), LIMIT);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("netns cleanup of " + namespaces[0] + "/" + namespaces[1] + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills anything left inside (callers stop their nodes first) and deletes both namespaces. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        deleteQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running or ran
        }
    }
}
