package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The primary's I/O path end to end (issue #7): two real hastd nodes, node A's NBD export
 * driven by Debian's NBD clients, and after each workload the two data areas compared byte
 * for byte, for every replication mode.
 */
class PrimaryIoIT {
    private static final String RESOURCE = "r0";
    private static final long DISK_BYTES = 320L << 20;
    private static final java.time.Duration LIMIT = java.time.Duration.ofMinutes(3);

    private HastCluster cluster;
    private HastNode a;
    private HastNode b;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void start(TestInfo test, String mode) throws Exception {
        Requirements.requireTool("nbdinfo", "libnbd-bin");
        Requirements.requireTool("nbdcopy", "libnbd-bin");
        Requirements.requireTool("qemu-io", "qemu-utils");
        Requirements.requireTool("fio", "fio");
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName() + "-" + mode, 2);
        cluster.createDisks(DISK_BYTES, RESOURCE);
        cluster.writeConfig("", "\treplication " + mode, RESOURCE);
        a = cluster.node(0);
        b = cluster.node(1);
        cluster.startPair(RESOURCE);
    }

    private Processes.Result run(String... argv) throws Exception {
        Processes.Result r = Processes.run(List.of(argv), Map.of(), LIMIT);
        assertEquals(0, r.exitCode(), String.join(" ", argv) + "\n" + r + "\n" + a.logText());
        return r;
    }

    private void qemuIo(String... commands) throws Exception {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            argv.add("-c");
            argv.add(c);
        }
        argv.add(a.exportUri(RESOURCE));
        Processes.Result r = run(argv.toArray(String[]::new));
        assertTrue(!r.stdout().contains("Pattern verification failed") && !r.stdout().contains("failed:"),
                String.join(" ", argv) + "\n" + r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fullsync", "memsync", "async"})
    void realClientsLeaveBothDataAreasIdentical(String mode, TestInfo test) throws Exception {
        start(test, mode);
        long dataSize = DISK_BYTES - a.localOffset(RESOURCE);

        String info = run("nbdinfo", "--json", a.exportUri(RESOURCE)).stdout();
        assertTrue(info.contains("\"export-size\": " + dataSize), info);
        assertTrue(info.contains("\"can_flush\": true") || info.contains("\"can_flush\":true"), info);

        qemuIo("write -P 0xab 0 1M", "read -P 0xab 0 1M",
                "write -P 0xcd 513 1000", "read -P 0xcd 513 1000", "read -P 0xab 0 513",
                "discard 1M 1M", "read -P 0 1M 1M",
                "write -P 0xee " + (dataSize - 512) + " 512", "read -P 0xee " + (dataSize - 512) + " 512",
                "write -z 4M 3M", "read -P 0 4M 3M", "flush");
        // Past the end: refused, not applied.
        Processes.Result past = Processes.run(List.of("qemu-io", "-f", "raw", "-c",
                "write -P 0x11 " + dataSize + " 512", a.exportUri(RESOURCE)), Map.of(), LIMIT);
        assertTrue(past.stdout().contains("failed") || past.stderr().contains("failed") || past.exitCode() != 0,
                past.toString());

        Path dir = cluster.dir();
        Path in = dir.resolve("random.in");
        Path out = dir.resolve("random.out");
        long copyBytes = "memsync".equals(mode) ? 256L << 20 : 64L << 20;
        writeRandom(in, copyBytes, mode.hashCode());
        run("nbdcopy", in.toString(), a.exportUri(RESOURCE));
        run("nbdcopy", a.exportUri(RESOURCE), out.toString());
        DataAreas.assertSame(in, 0, out, 0, copyBytes, "nbdcopy in and back out");

        for (int depth : new int[] {1, 32}) {
            run("fio", "--name=verify-qd" + depth, "--ioengine=nbd", "--uri=" + a.exportUri(RESOURCE),
                    "--rw=randwrite", "--bs=4k", "--size=16m", "--offset=" + (depth == 1 ? "32m" : "64m"),
                    "--iodepth=" + depth, "--verify=crc32c", "--do_verify=1", "--verify_fatal=1",
                    "--verify_state_save=0", "--output-format=terse"); // no state file left in the cwd
        }

        qemuIo("flush");
        // A FLUSH completes on the secondary after every write before it: the areas agree now.
        Files.deleteIfExists(in);
        Files.deleteIfExists(out);
        long offA = a.localOffset(RESOURCE);
        long offB = b.localOffset(RESOURCE);
        assertEquals(offA, offB);
        DataAreas.assertSame(a.disk(RESOURCE), offA, b.disk(RESOURCE), offB, dataSize,
                mode + ": primary and secondary data areas");
        String status = a.hastctl("list", RESOURCE).stdout();
        assertTrue(status.contains("dirty: 0"), "nothing left dirty after a connected run\n" + status);
    }

    private static void writeRandom(Path file, long bytes, long seed) throws IOException {
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long done = 0; done < bytes; done += chunk.length) {
                random.nextBytes(chunk);
                ByteBuffer buf = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, bytes - done));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
    }
}
