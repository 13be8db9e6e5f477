package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.hast.it.failover.BackingDisk;
import org.hast.it.failover.FileWriterLog;
import org.hast.it.failover.LoopDevices;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue #14 item 3 (Pacemaker): two corosync + pacemakerd nodes in network namespaces drive a
 * promotable clone of ocf:hast:hast over two real hastd, with an ocf:heartbeat:Filesystem (ext4
 * on the FUSE + loop device, {@code run_fsck=force}) ordered after the promotion and colocated
 * with it. Pacemaker adopts the running pair (A primary with its file system); a writer flushes
 * files into it. Then, on one cluster:
 * <ol>
 * <li>crash of the promoted node (corosync, pacemakerd and hastd frozen and killed): the survivor
 * is promoted and mounts, every flushed file is there; the failover time is printed in parts;
 * <li>the crashed node rejoins as secondary behind a slowed replication link, and a standby of
 * the primary's node during that synchronisation promotes nobody (the sync-target veto);
 * <li>a planned switch by {@code crm_resource --move} and {@code --clear}, files verified;
 * <li>the guard test: the link between the nodes is cut (nftables drops, interfaces up). Without
 * fencing, two_node corosync keeps quorum on both sides and Pacemaker promotes the secondary:
 * two primaries, both accept writes. When the link is back, hast detects the split-brain and
 * each disk still holds its own writes and not the other's.
 * </ol>
 * Each node's mounts live in its own mount namespace (see {@link PacemakerNode}); the test
 * reaches them through {@code /proc/<pacemakerd>/root}.
 */
class PacemakerFailoverIT {
    /** Not r0: the FUSE bridge's /run/hast/fuse/<resource> is machine-wide. */
    private static final String RESOURCE = "pf" + ProcessHandle.current().pid() % 100_000;
    private static final long MIB = 1L << 20;
    private static final long DISK_BYTES = 64 * MIB;
    private static final long WAIT_MILLIS = 90_000;
    /**
     * Slow enough that the rejoined node's synchronisation outlasts a standby transition. Only
     * hast's TCP is slowed: a link that corosync shares with a saturating resynchronisation loses
     * the token (1 s here), both nodes see the other leave, and the outdated node is then rightly
     * promoted as the only copy left.
     */
    private static final String SLOW_LINK = "1mbit";
    /**
     * bench/failover-times.sh's runs: only the crash and the move, the parts of which it takes
     * medians of (the veto check and the link cut time nothing).
     */
    private static final boolean TIMES_ONLY = Boolean.getBoolean("failover.timesOnly");

    private HastCluster cluster;
    private final List<PacemakerNode> pacemaker = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        try {
            for (PacemakerNode node : pacemaker) {
                node.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    void crashPlannedSwitchAndCutLinkWithAFileSystem(TestInfo test) throws Exception {
        Requirements.requireRoot();
        OcfAgentIT.requireResourceAgents();
        for (String tool : List.of("corosync", "pacemakerd", "cibadmin", "crm_mon")) {
            Requirements.requireTool(tool, "pacemaker corosync");
        }
        Requirements.requireTool("unshare", "util-linux");
        Requirements.require(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
        Requirements.requireTool("nbdfuse", "libnbd-bin");
        Requirements.requireTool("losetup", "util-linux");
        Requirements.requireTool("mkfs.ext4", "e2fsprogs");
        Requirements.requireTool("nft", "nftables");

        // The pair runs before the cluster does: A primary with a fresh ext4, B secondary.
        cluster = HastCluster.createInNamespaces(test.getTestMethod().orElseThrow().getName());
        cluster.createDisks(DISK_BYTES, RESOURCE);
        cluster.writeConfig("device fuse", "", RESOURCE);
        cluster.startPair(RESOURCE);
        run("mkfs.ext4", "-q", awaitDevice(cluster.node(0)).toString());

        List<String> unames = List.of("nodea", "nodeb");
        List<String> addresses = List.of(cluster.netns().address(0), cluster.netns().address(1));
        for (int i = 0; i < 2; i++) {
            PacemakerNode node = new PacemakerNode(unames.get(i), cluster.netns().namespace(i),
                    cluster.dir().resolve("pacemaker-" + unames.get(i)));
            node.writeCorosyncConf(unames, addresses);
            node.seedCib("<nvpair id=\"o-stonith\" name=\"stonith-enabled\" value=\"false\"/>"
                    + "<nvpair id=\"o-dc-deadtime\" name=\"dc-deadtime\" value=\"3s\"/>",
                    "<nvpair id=\"o-stickiness\" name=\"resource-stickiness\" value=\"100\"/>");
            pacemaker.add(node);
        }
        long t0 = System.nanoTime();
        for (PacemakerNode node : pacemaker) {
            node.start(OcfAgentIT.agent());
        }
        await("both nodes online with a DC", () -> crmMon(pacemaker.get(0)).contains("Online: [ nodea nodeb ]")
                && crmMon(pacemaker.get(0)).contains("Current DC: node"));
        System.out.printf("Pacemaker: both nodes online after %.1f s%n", seconds(t0));
        configure(pacemaker.get(0));
        PacemakerNode pa = pacemaker.get(0);
        PacemakerNode pb = pacemaker.get(1);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        await("A's file system mounted (the running pair adopted)", () -> pa.mounted(mountpoint(0)));
        System.out.printf("Pacemaker: A promoted and mounted after %.1f s%n", seconds(t0));
        assertEquals("secondary", role(b));

        // Crash of the promoted node: its cluster stack and its hastd die at once.
        FileWriterLog writer = new FileWriterLog(pa.inside(mountpoint(0)), 21);
        writer.start();
        await("40 flushed files on A", () -> writer.acknowledged().size() >= 40 || writer.failure() != null);
        int roleMark = b.logText().length();
        long crashMillis = System.currentTimeMillis();
        Milestones clock = new Milestones()
                .when("lost", () -> logOf(pb).contains("Node nodea state is now lost"))
                .when("role", () -> b.logText().indexOf("Role changed to primary", roleMark) >= 0)
                .when("device", () -> deviceSince(b, crashMillis))
                .when("fsck", () -> fsckRunningIn(pb))
                .when("mounted", () -> pb.mounted(mountpoint(1)));
        // A's hastd dies with its loop device bound; the test unbinds it once B is mounted.
        Path loop = Files.readSymbolicLink(a.devdir().resolve(RESOURCE));
        pa.crash();
        a.kill();
        clock.start();
        pa.endLeftovers();
        try (clock) {
            await("B primary with its file system mounted", () -> clock.reached("mounted"));
        }
        System.out.println("failover-times pacemaker-crash: " + parts(clock, 0));
        assertTrue(writer.stopAndJoin(30_000), "the writer on the crashed node never ended");
        LoopDevices.unbindIfDead(loop, b.devdir().resolve(RESOURCE), RESOURCE);
        Map<String, String> flushed = writer.acknowledged();
        assertTrue(flushed.size() >= 40, "flushed before the crash: " + flushed.size());
        assertEquals(List.of(), FileWriterLog.missingOrDifferent(pb.inside(mountpoint(1)), flushed),
                "flushed files missing or different on the survivor (of " + flushed.size() + ")");

        // The crashed node comes back (behind a slowed link) while B has new files for it.
        FileWriterLog more = new FileWriterLog(pb.inside(mountpoint(1)), 22);
        more.start();
        await("40 more files on B", () -> more.acknowledged().size() >= 40 || more.failure() != null);
        assertTrue(more.stopAndJoin(30_000));
        if (!TIMES_ONLY) {
            // The veto check is about the clone alone: with the file system running, B's standby
            // would first unmount through the slowed link, and on a busy machine the
            // synchronisation could end first (A then rightly promoted, nothing vetoed).
            fsTargetRole(pb, "Stopped");
            await("B's file system unmounted for the veto check", () -> !pb.mounted(mountpoint(1)));
            slowReplication(SLOW_LINK);
        }
        a.start();
        pa.start(OcfAgentIT.agent());
        await("the crashed node rejoins as secondary", () -> role(a).equals("secondary"));
        if (TIMES_ONLY) {
            HastCluster.awaitStatus(b, RESOURCE, "complete", WAIT_MILLIS);
            awaitClean(b);
        } else {
            vetoDuringTheSynchronisation(a, b, pa, pb);
        }
        plannedMove(a, b, pa, pb, flushed, more.acknowledged());
        if (!TIMES_ONLY) {
            cutLink(a, b, pa, pb);
        }
    }

    /**
     * A rejoined as the target of a synchronisation the slowed link keeps unfinished; B, its
     * source, is primary.
     */
    private void vetoDuringTheSynchronisation(HastNode a, HastNode b, PacemakerNode pa, PacemakerNode pb)
            throws Exception {

        // The veto: the up-to-date primary's node goes to standby as soon as its peer is back, so
        // during the synchronisation and possibly before any monitor has seen it (the hardest
        // case); the peer is alive, so the sync target must not be promoted. The cluster settles.
        long veto = System.nanoTime();
        pb.expectTool("crm_attribute", "--node", "nodeb", "--name", "standby", "--update", "on");
        await("the standby node's hast is stopped", () -> role(b).equals("init"));
        pb.expectTool("crm_resource", "--wait", "--timeout=60s");
        String settled = pb.tool("crm_mon", "-1", "-A").stdout();
        System.out.println("Pacemaker: standby of the primary during a synchronisation:\n" + settled);
        assertEquals("secondary", role(a), "the sync target is not promoted while its peer is alive");
        assertEquals("1", outdatedMark(pb, "nodea"), "the sync target is marked outdated");
        assertFalse(settled.contains("Failed Resource Actions"), "no promotion was even tried");
        cluster.netns().rateLimit(null);  // removes the whole root qdisc: the rest syncs at full speed
        pb.expectTool("crm_attribute", "--node", "nodeb", "--name", "standby", "--update", "off");
        await("the up-to-date node is primary again", () -> role(b).equals("primary"));
        fsTargetRole(pb, "Started");
        await("and its file system mounted again", () -> pb.mounted(mountpoint(1)));
        assertEquals("secondary", role(a), "the sync target stays secondary");
        HastCluster.awaitStatus(b, RESOURCE, "complete", WAIT_MILLIS);
        awaitClean(b);
        await("the mark is gone once the pair is in sync", () -> outdatedMark(pb, "nodea").isEmpty());
        System.out.printf("Pacemaker veto check (standby, settle, standby off, sync): %.1f s%n", seconds(veto));
    }

    private void plannedMove(HastNode a, HastNode b, PacemakerNode pa, PacemakerNode pb, Map<String, String> flushed,
            Map<String, String> more) throws Exception {

        // Planned switch: crm_resource --move of the promoted role to A, then --clear.
        int moveMark = a.logText().length();
        long moveMillis = System.currentTimeMillis();
        Milestones move = new Milestones()
                .when("lost", () -> !pb.mounted(mountpoint(1)))  // the move's first visible step
                .when("role", () -> a.logText().indexOf("Role changed to primary", moveMark) >= 0)
                .when("device", () -> deviceSince(a, moveMillis))
                .when("fsck", () -> fsckRunningIn(pa))
                .when("mounted", () -> pa.mounted(mountpoint(0)));
        move.start();
        try (move) {
            pb.expectTool("crm_resource", "--move", "--resource", "hast-clone", "--node", "nodea", "--promoted");
            await("A primary with its file system mounted", () -> move.reached("mounted"));
        }
        System.out.println("failover-times pacemaker-move: " + parts(move, 0));
        await("B secondary", () -> role(b).equals("secondary"));
        pb.expectTool("crm_resource", "--clear", "--resource", "hast-clone");
        Map<String, String> all = new java.util.TreeMap<>(flushed);
        all.putAll(more);
        assertEquals(List.of(), FileWriterLog.missingOrDifferent(pa.inside(mountpoint(0)), all),
                "files missing or different after the move");
        HastCluster.awaitStatus(a, RESOURCE, "complete", WAIT_MILLIS);
        awaitClean(a);
    }

    /**
     * A is primary and mounted, B secondary, in sync. Cuts the link: both nodes see the other
     * leave; two_node keeps quorum on both sides, so with stonith disabled B promotes itself
     * once its hastd lets the old connection go ({@code timeout}), and mounts. Both primaries
     * accept a flushed write. With the link back, Pacemaker finds the promoted role twice and
     * demotes one; that node's hastd meets the other and detects the split-brain. Each backing
     * disk keeps its own write and never gets the other's.
     */
    private void cutLink(HastNode a, HastNode b, PacemakerNode pa, PacemakerNode pb) throws Exception {
        long cut = System.nanoTime();
        int markA = a.logText().length();
        int markB = b.logText().length();
        cluster.netns().blockLink();
        await("B primary with its file system mounted beside A", () -> pb.mounted(mountpoint(1)));
        System.out.printf("Pacemaker link cut: B primary and mounted after %.1f s%n", seconds(cut));
        assertEquals("primary", role(a), "A is still primary: two primaries without fencing");
        assertEquals("primary", role(b));
        String onA = "written on A while cut " + System.nanoTime();
        String onB = "written on B while cut " + System.nanoTime();
        writeFlushed(pa.inside(mountpoint(0)).resolve("a-while-cut"), onA);
        writeFlushed(pb.inside(mountpoint(1)).resolve("b-while-cut"), onB);

        long back = System.nanoTime();
        cluster.netns().unblockLink();
        await("one side demoted, and hast detects the split-brain", () ->
                a.logText().indexOf("Split-brain detected", markA) >= 0
                        || b.logText().indexOf("Split-brain detected", markB) >= 0);
        System.out.printf("Pacemaker link back: split-brain detected after %.1f s; A %s, B %s%n",
                seconds(back), role(a), role(b));
        System.out.println(pb.tool("crm_mon", "-1").stdout());

        // End the managers (their mount namespaces go with them), stop hast, then read both
        // backing disks: nothing was overwritten.
        pa.unmount(mountpoint(0));
        pb.unmount(mountpoint(1));
        for (PacemakerNode node : pacemaker) {
            node.crash();
            node.endLeftovers();
        }
        for (HastNode node : cluster.nodes()) {
            node.stop();
        }
        assertTrue(BackingDisk.contains(a.local(RESOURCE), onA), "A's disk has A's write");
        assertFalse(BackingDisk.contains(a.local(RESOURCE), onB), "A's disk never got B's write");
        assertTrue(BackingDisk.contains(b.local(RESOURCE), onB), "B's disk has B's write");
        assertFalse(BackingDisk.contains(b.local(RESOURCE), onA), "B's disk never got A's write");
    }

    private static void writeFlushed(Path file, String text) throws IOException {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        try (java.nio.channels.FileChannel dir = java.nio.channels.FileChannel.open(file.getParent())) {
            dir.force(true);
        }
    }

    /**
     * The failover's parts from the fault (or the planned command) on: detection (the peer
     * seen lost; for a move the old mount gone), role (until hastd changed the role: the
     * scheduler's transition, notifications, hastctl), device, fsck and mount.
     */
    private static String parts(Milestones clock, long fault) {
        long lost = clock.millis("lost");
        long role = clock.millis("role");
        long device = Math.max(clock.millis("device"), role);
        long mounted = clock.millis("mounted");
        // fsck ran between the device and the mount; 0 if it ended within one 20 ms look.
        long fsckStart = clock.millis("fsck");
        long fsck = fsckStart < 0 ? 0 : Math.max(0, mounted - Math.max(fsckStart, device) - 1);
        return "detection " + (lost - fault) + " ms, role " + (role - lost) + " ms, device " + (device - role)
                + " ms, fsck " + fsck + " ms, mount " + (mounted - device - fsck) + " ms, total "
                + (mounted - fault) + " ms";
    }

    /** Whether an fsck runs in {@code node}'s network namespace (not another test's). */
    private static boolean fsckRunningIn(PacemakerNode node) {
        try {
            Path own = Files.readSymbolicLink(Path.of("/proc/" + node.pid() + "/ns/net"));
            return ProcessHandle.allProcesses().anyMatch(p -> p.info().command().orElse("").endsWith("fsck")
                    && own.equals(netns(p.pid())));
        } catch (IOException e) {
            return false;
        }
    }

    private static Path netns(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net"));
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether {@code node}'s device link was made since {@code sinceMillis} (epoch) and points to
     * a bound loop device: an old link stays after a crash, and its /dev/loopN may serve the
     * other node by now (both nodes' FUSE files have the resource's name).
     */
    private static boolean deviceSince(HastNode node, long sinceMillis) {
        try {
            Path link = node.devdir().resolve(RESOURCE);
            if (Files.getLastModifiedTime(link, java.nio.file.LinkOption.NOFOLLOW_LINKS).toMillis() < sinceMillis) {
                return false;
            }
            Path loop = Files.readSymbolicLink(link);
            return Files.exists(Path.of("/sys/block", loop.getFileName().toString(), "loop", "backing_file"));
        } catch (IOException e) {
            return false;
        }
    }

    private Path mountpoint(int side) {
        return cluster.node(side).dir().resolve("mnt");
    }

    private Path awaitDevice(HastNode node) throws InterruptedException {
        Path device = node.devdir().resolve(RESOURCE);
        await("device " + device, () -> Files.exists(device));
        return device;
    }

    private void awaitClean(HastNode node) throws InterruptedException {
        await(node.name() + " clean", () -> field(node, "dirty").startsWith("0 "));
    }

    private static void fsTargetRole(PacemakerNode node, String role) throws IOException, InterruptedException {
        node.expectTool("crm_resource", "--resource", "fs", "--meta", "--set-parameter", "target-role",
                "--parameter-value", role);
    }

    /** Caps TCP (hast's replication) at {@code rate} on both veth ends; corosync's UDP is not capped. */
    private void slowReplication(String rate) throws IOException, InterruptedException {
        cluster.netns().rateLimit(null);
        for (int side = 0; side < 2; side++) {
            String veth = cluster.netns().veth(side);
            tc(side, "qdisc", "add", "dev", veth, "root", "handle", "1:", "htb", "default", "20");
            tc(side, "class", "add", "dev", veth, "parent", "1:", "classid", "1:10", "htb", "rate", rate,
                    "ceil", rate, "burst", "32k");
            // A short queue: with the default 1000 packets a write waited 12 s behind the sync
            // and the file system's unmount outlasted its stop timeout.
            tc(side, "qdisc", "add", "dev", veth, "parent", "1:10", "handle", "10:", "pfifo", "limit", "10");
            tc(side, "class", "add", "dev", veth, "parent", "1:", "classid", "1:20", "htb", "rate", "1gbit");
            tc(side, "filter", "add", "dev", veth, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                    "match", "ip", "protocol", "6", "0xff", "flowid", "1:10");
        }
    }

    private void tc(int side, String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(cluster.netns().execPrefix(side));
        command.add("tc");
        command.addAll(List.of(argv));
        Processes.Result result = Processes.run(command, Map.of(), java.time.Duration.ofSeconds(30));
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + ": " + result);
        }
    }

    /** The value of the hast-outdated-<resource> mark on {@code uname}, empty without one. */
    private static String outdatedMark(PacemakerNode node, String uname) {
        try {
            Processes.Result r = node.tool("crm_attribute", "--node", uname, "--lifetime", "reboot", "--name",
                    "hast-outdated-" + RESOURCE, "--query", "--quiet");
            return r.exitCode() == 0 ? r.stdout().strip() : "";
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    /**
     * The promotable clone of ocf:hast:hast and a Filesystem colocated with its promoted
     * instance and started after the promotion; per node, its hast node name, device and mount
     * point. stonith-enabled=false and the stickiness come from the seeded CIB.
     */
    private void configure(PacemakerNode node) throws IOException, InterruptedException {
        String hastctl = Requirements.projectRoot().resolve("bin/hastctl").toString();
        StringBuilder hastPerNode = new StringBuilder();
        StringBuilder fsPerNode = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            String uname = pacemaker.get(i).uname();
            HastNode hast = cluster.node(i);
            hastPerNode.append(perNode("hast", uname, i + 1, Map.of("node", hast.name(),
                    "device", hast.devdir().resolve(RESOURCE).toString())));
            fsPerNode.append(perNode("fs", uname, i + 1, Map.of("device", hast.devdir().resolve(RESOURCE).toString(),
                    "directory", mountpoint(i).toString())));
        }
        node.expectTool("cibadmin", "--create", "-o", "resources", "--xml-text", "<clone id=\"hast-clone\">"
                + "<meta_attributes id=\"hast-clone-meta\">"
                + "<nvpair id=\"hc-promotable\" name=\"promotable\" value=\"true\"/>"
                + "<nvpair id=\"hc-pmax\" name=\"promoted-max\" value=\"1\"/>"
                + "<nvpair id=\"hc-cmax\" name=\"clone-max\" value=\"2\"/></meta_attributes>"
                + "<primitive id=\"hast\" class=\"ocf\" provider=\"hast\" type=\"hast\">"
                + "<instance_attributes id=\"hast-ia\">"
                + "<nvpair id=\"hast-resource\" name=\"resource\" value=\"" + RESOURCE + "\"/>"
                + "<nvpair id=\"hast-config\" name=\"config\" value=\"" + cluster.config() + "\"/>"
                + "<nvpair id=\"hast-hastctl\" name=\"hastctl\" value=\"" + hastctl + "\"/>"
                + "</instance_attributes>" + hastPerNode
                + "<operations><op id=\"hast-mon-p\" name=\"monitor\" interval=\"2s\" role=\"Promoted\"/>"
                + "<op id=\"hast-mon-u\" name=\"monitor\" interval=\"3s\" role=\"Unpromoted\"/></operations>"
                + "</primitive></clone>");
        node.expectTool("cibadmin", "--create", "-o", "resources", "--xml-text",
                "<primitive id=\"fs\" class=\"ocf\" provider=\"heartbeat\" type=\"Filesystem\">"
                + "<instance_attributes id=\"fs-ia\">"
                + "<nvpair id=\"fs-fstype\" name=\"fstype\" value=\"ext4\"/>"
                + "<nvpair id=\"fs-fsck\" name=\"run_fsck\" value=\"force\"/>"
                + "</instance_attributes>" + fsPerNode
                + "<operations><op id=\"fs-mon\" name=\"monitor\" interval=\"5s\"/>"
                + "<op id=\"fs-stop\" name=\"stop\" interval=\"0\" timeout=\"60s\"/></operations></primitive>");
        node.expectTool("cibadmin", "--create", "-o", "constraints", "--xml-text",
                "<rsc_colocation id=\"fs-with-promoted\" score=\"INFINITY\" rsc=\"fs\" with-rsc=\"hast-clone\" "
                + "with-rsc-role=\"Promoted\"/>");
        node.expectTool("cibadmin", "--create", "-o", "constraints", "--xml-text",
                "<rsc_order id=\"fs-after-promote\" kind=\"Mandatory\" first=\"hast-clone\" first-action=\"promote\" "
                + "then=\"fs\" then-action=\"start\"/>");
    }

    /** Instance attributes of {@code id} that apply on {@code uname} only. */
    private static String perNode(String id, String uname, int score, Map<String, String> values) {
        StringBuilder xml = new StringBuilder("<instance_attributes id=\"" + id + "-ia-" + uname + "\" score=\""
                + score + "\"><rule id=\"" + id + "-on-" + uname + "\" score=\"0\"><expression id=\"" + id + "-on-"
                + uname + "-expr\" attribute=\"#uname\" operation=\"eq\" value=\"" + uname + "\"/></rule>");
        new java.util.TreeMap<>(values).forEach((name, value) -> xml.append("<nvpair id=\"").append(id).append('-')
                .append(name).append('-').append(uname).append("\" name=\"").append(name).append("\" value=\"")
                .append(value).append("\"/>"));
        return xml.append("</instance_attributes>").toString();
    }

    private String crmMon(PacemakerNode node) {
        try {
            return node.tool("crm_mon", "-1").stdout();
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static String logOf(PacemakerNode node) {
        try {
            return Files.exists(node.log()) ? Files.readString(node.log()) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String role(HastNode node) {
        return field(node, "role");
    }

    private static String field(HastNode node, String name) {
        try {
            return node.hastctl("list", RESOURCE).stdout().lines().map(String::strip)
                    .filter(l -> l.startsWith(name + ": ")).map(l -> l.substring(name.length() + 2))
                    .findFirst().orElse("");
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Processes.Result r = Processes.run(List.of(argv), Map.of(), java.time.Duration.ofMinutes(1));
        assertEquals(0, r.exitCode(), String.join(" ", argv) + "\n" + r);
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("never: " + what + "\n" + crmMon(pacemaker.get(0)) + crmMon(pacemaker.get(1))
                        + "\nnode A:\n" + cluster.node(0).logText() + "\nnode B:\n" + cluster.node(1).logText());
            }
            Thread.sleep(50);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
