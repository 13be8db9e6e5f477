package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code <devdir>/<name>} through the FUSE + loop bridge (issue #9): a file system made on the
 * primary's device, written, then opened on the other node after a role switch; and a worker
 * killed under I/O gives the writer an error, not a hang, and its successor serves again.
 */
class DeviceIT {
    private static final String RESOURCE = "r0";
    private static final Duration LIMIT = Duration.ofMinutes(2);

    private HastCluster cluster;
    private HastNode a;
    private HastNode b;
    private Path mnt;

    @AfterEach
    void stop() throws Exception {
        if (mnt != null) {
            Processes.run(List.of("umount", "-l", mnt.toString()), Map.of(), LIMIT);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void start(TestInfo test, String fs) throws Exception {
        Requirements.requireRoot();
        Requirements.require(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
        Requirements.requireTool("nbdfuse", "libnbd-bin");
        Requirements.requireTool("losetup", "util-linux");
        Requirements.requireTool("mkfs." + fs, "xfs".equals(fs) ? "xfsprogs" : "e2fsprogs");
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName() + "-" + fs, 2);
        cluster.createDisks(320L << 20, RESOURCE);
        cluster.writeConfig("device fuse", "", RESOURCE);
        a = cluster.node(0);
        b = cluster.node(1);
        cluster.startPair(RESOURCE);
        mnt = Files.createDirectories(cluster.dir().resolve("mnt"));
    }

    private static Path awaitDevice(HastNode node) throws Exception {
        Path link = node.devdir().resolve(RESOURCE);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.isSymbolicLink(link) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.isSymbolicLink(link), "no " + link + "\n" + node.logText());
        assertTrue(Files.readSymbolicLink(link).toString().startsWith("/dev/loop"), link + " -> "
                + Files.readSymbolicLink(link));
        return link;
    }

    private Processes.Result run(String... argv) throws Exception {
        Processes.Result r = Processes.run(List.of(argv), Map.of(), LIMIT);
        assertEquals(0, r.exitCode(), String.join(" ", argv) + "\n" + r + "\n" + a.logText() + b.logText());
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "xfs"})
    void fileSystemSurvivesARoleSwitch(String fs, TestInfo test) throws Exception {
        start(test, fs);
        Path device = awaitDevice(a);
        run("mkfs." + fs, "ext4".equals(fs) ? "-q" : "-q", device.toString());
        run("mount", device.toString(), mnt.toString());
        Map<String, String> sums = new TreeMap<>();
        Random random = new Random(fs.hashCode());
        for (int i = 0; i < 200; i++) {
            byte[] data = new byte[1 + random.nextInt(64 * 1024)];
            random.nextBytes(data);
            String name = "file-" + i;
            Files.write(mnt.resolve(name), data);
            sums.put(name, sha256(data));
        }
        run("sync");
        run("umount", mnt.toString());

        // Switch: A steps down (its device goes before the role change is done), B takes over.
        assertEquals(0, a.hastctl("role", "secondary", RESOURCE).exitCode());
        assertFalse(Files.exists(a.devdir().resolve(RESOURCE), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "the old primary's device is gone once its role change is done");
        assertEquals(0, b.hastctl("role", "primary", RESOURCE).exitCode());
        HastCluster.awaitStatus(b, RESOURCE, "complete", 60_000);
        Path newDevice = awaitDevice(b);
        if ("ext4".equals(fs)) {
            run("fsck.ext4", "-n", "-f", newDevice.toString());
        } else {
            run("xfs_repair", "-n", newDevice.toString());
        }
        run("mount", newDevice.toString(), mnt.toString());
        for (Map.Entry<String, String> e : sums.entrySet()) {
            assertEquals(e.getValue(), sha256(Files.readAllBytes(mnt.resolve(e.getKey()))), e.getKey());
        }
        run("umount", mnt.toString());
    }

    @Test
    void aKilledWorkerFailsTheWriterAndItsSuccessorServes(TestInfo test) throws Exception {
        start(test, "ext4");
        Path device = awaitDevice(a);
        long worker = a.workers().get(0).pid();
        ProcessBuilder writer = new ProcessBuilder("dd", "if=/dev/zero", "of=" + device, "bs=64k", "count=100000",
                "oflag=direct");
        writer.redirectErrorStream(true);
        Process dd = writer.start();
        try {
            Thread.sleep(500);
            Processes.run(List.of("kill", "-9", Long.toString(worker)), Map.of(), LIMIT);
            assertTrue(dd.waitFor(30, TimeUnit.SECONDS), "the writer hangs after its worker died");
            assertNotEquals(0, dd.exitValue(), "the writer saw an error");
        } finally {
            dd.destroyForcibly();
        }
        // The main process restarts the primary worker, which cleans its predecessor's leftovers
        // and creates the device again.
        String created = "Device " + device + " created.";
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && countOf(a.logText(), created) < 2) {
            Thread.sleep(100);
        }
        assertEquals(2, countOf(a.logText(), created), a.logText());
        assertNotEquals(worker, a.workers().get(0).pid());
        Path again = awaitDevice(a);
        run("dd", "if=/dev/zero", "of=" + again, "bs=64k", "count=16", "oflag=direct");
    }

    private static int countOf(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
