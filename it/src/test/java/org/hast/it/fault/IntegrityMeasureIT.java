package org.hast.it.fault;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The measurement of docs/integrity.md, by hand only ({@code -Dhast.integrity.measure=true} or
 * {@code HAST_INTEGRITY_MEASURE=1}; skipped otherwise): a primary crash under a 4 KiB random-write
 * load, then the resynchronisation of its keepdirty extents, with {@code syncmode plain} and with
 * {@code checksum}; prints the bytes the primary sent through the relay and the "Synchronization
 * complete." line (time and rate). {@code HAST_INTEGRITY_MB} sets the disk size (default 512).
 */
class IntegrityMeasureIT {
    private static final String RESOURCE = "r0";
    private HastCluster cluster;
    private CountingRelay relay;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
        if (relay != null) {
            relay.close();
            relay = null;
        }
    }

    @Test
    void primaryCrashUnderLoad() throws Exception {
        assumeTrue(Boolean.getBoolean("hast.integrity.measure") || "1".equals(System.getenv("HAST_INTEGRITY_MEASURE")),
                "a measurement, run by hand: -Dhast.integrity.measure=true");
        for (String mode : new String[] {"plain", "checksum"}) {
            run(mode);
            stop();
        }
    }

    private void run(String mode) throws Exception {
        long disk = Long.getLong("hast.integrity.mb", Long.parseLong(System.getenv().getOrDefault("HAST_INTEGRITY_MB",
                "512"))) << 20;
        cluster = HastCluster.create("IntegrityMeasureIT-" + mode, 2);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        cluster.createDisks(disk, RESOURCE);
        fill(a.disk(RESOURCE), disk);
        fill(b.disk(RESOURCE), disk);
        cluster.writeConfig("", "integrity on\nsyncmode " + mode, RESOURCE);
        relay = new CountingRelay(b.port());
        Path aConfig = cluster.dir().resolve("a.conf");
        Files.writeString(aConfig, Files.readString(cluster.config()).replace(
                "remote tcp4://" + b.address() + ":" + b.port(), "remote tcp4://127.0.0.1:" + relay.port()));
        a.setConfig(aConfig);
        cluster.startPair(RESOURCE);
        // Both disks hold the same non-zero data: nothing travels as a hole.
        awaitClean(a);
        long dataSize = disk - a.localOffset(RESOURCE);
        AtomicBoolean writing = new AtomicBoolean(true);
        NbdClient nbd = NbdClient.connect(a.exportSocket(RESOURCE), RESOURCE);
        Thread writer = new Thread(() -> {
            Random r = new Random(5);
            byte[] block = new byte[4096];
            while (writing.get()) {
                r.nextBytes(block);
                long offset = (long) r.nextInt((int) (dataSize / 4096)) * 4096;
                try {
                    nbd.write(offset, ByteBuffer.wrap(block.clone())).get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    return; // the primary is gone
                }
            }
        }, "load");
        writer.start();
        Thread.sleep(10_000);
        a.kill();
        writing.set(false);
        writer.join(30_000);
        nbd.close();
        int mark = a.logText().length();
        long before = relay.toTarget();
        long backBefore = relay.fromTarget();
        long started = System.nanoTime();
        a.start();
        org.junit.jupiter.api.Assertions.assertEquals(0, a.hastctl("role", "primary", RESOURCE).exitCode());
        String done = awaitLog(a, mark, "Synchronization complete.", 600_000);
        double wall = (System.nanoTime() - started) / 1e9;
        System.out.printf("IntegrityMeasureIT %s: %d bytes primary->secondary, %d back; %.1f s from restart; %s%n",
                mode, relay.toTarget() - before, relay.fromTarget() - backBefore, wall, done);
    }

    /**
     * Application write latency (4 KiB, queue depth 1, through the export) during a full
     * resynchronisation of the data area, with no rate control, {@code syncrate 64m} and
     * {@code syncrate adaptive 5}; and the same writer with no sync running, as the baseline.
     */
    @Test
    void writeLatencyDuringResync() throws Exception {
        assumeTrue(Boolean.getBoolean("hast.integrity.measure") || "1".equals(System.getenv("HAST_INTEGRITY_MEASURE")),
                "a measurement, run by hand: -Dhast.integrity.measure=true");
        for (String rate : new String[] {"unlimited", "64m", "adaptive 5"}) {
            latency(rate);
            stop();
        }
    }

    private void latency(String rate) throws Exception {
        long disk = Long.parseLong(System.getenv().getOrDefault("HAST_INTEGRITY_MB", "512")) << 20;
        cluster = HastCluster.create("IntegrityLatency", 2);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        cluster.createDisks(disk, RESOURCE);
        fill(a.disk(RESOURCE), disk);
        cluster.writeConfig("", "syncrate " + rate, RESOURCE);
        cluster.startPair(RESOURCE);
        awaitClean(a);
        // A re-created secondary gets everything (spec §8): the full resync runs under the writer.
        org.junit.jupiter.api.Assertions.assertEquals(0, b.hastctl("role", "init", RESOURCE).exitCode());
        HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
        org.junit.jupiter.api.Assertions.assertEquals(0, b.hastctl("create", RESOURCE).exitCode());
        int mark = a.logText().length();
        org.junit.jupiter.api.Assertions.assertEquals(0, b.hastctl("role", "secondary", RESOURCE).exitCode());
        awaitLog(a, mark, "Synchronization started.", 60_000);
        try (NbdClient nbd = NbdClient.connect(a.exportSocket(RESOURCE), RESOURCE)) {
            long[] during = writes(nbd, a, mark, disk - a.localOffset(RESOURCE));
            awaitLog(a, mark, "Synchronization complete.", 1_200_000);
            long[] idle = timedWrites(nbd, 500, disk - a.localOffset(RESOURCE));
            String done = awaitLog(a, mark, "Synchronization complete.", 1);
            System.out.printf("IntegrityMeasureIT latency syncrate %s: during resync %s; idle %s; %s%n", rate,
                    summary(during), summary(idle), done);
        }
    }

    /** Timed 4 KiB writes until the sync completes (at most 20000). */
    private static long[] writes(NbdClient nbd, HastNode a, int mark, long dataSize) throws Exception {
        long[] times = new long[20000];
        Random r = new Random(11);
        int n = 0;
        while (n < times.length && a.logText().indexOf("Synchronization complete.", mark) < 0) {
            long offset = (long) r.nextInt((int) (dataSize / 4096)) * 4096;
            long t = System.nanoTime();
            nbd.write(offset, ByteBuffer.wrap(new byte[4096])).get(60, TimeUnit.SECONDS);
            times[n++] = System.nanoTime() - t;
        }
        return java.util.Arrays.copyOf(times, n);
    }

    private static long[] timedWrites(NbdClient nbd, int count, long dataSize) throws Exception {
        long[] times = new long[count];
        Random r = new Random(12);
        for (int i = 0; i < count; i++) {
            long offset = (long) r.nextInt((int) (dataSize / 4096)) * 4096;
            long t = System.nanoTime();
            nbd.write(offset, ByteBuffer.wrap(new byte[4096])).get(60, TimeUnit.SECONDS);
            times[i] = System.nanoTime() - t;
        }
        return times;
    }

    private static void awaitClean(HastNode node) throws Exception {
        long deadline = System.currentTimeMillis() + 1_200_000;
        while (!node.hastctl("list", RESOURCE).stdout().contains("  dirty: 0 ")) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + " never clean");
            }
            Thread.sleep(500);
        }
    }

    /** Random data from 1 MiB on (past the metadata), so nothing travels as a hole. */
    private static void fill(Path file, long disk) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer junk = ByteBuffer.allocate(1 << 20);
            new Random(9).nextBytes(junk.array());
            for (long at = 1 << 20; at < disk; at += 1 << 20) {
                ch.write(junk.clear(), at);
            }
        }
    }

    private static String summary(long[] nanos) {
        if (nanos.length == 0) {
            return "no writes";
        }
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        double mean = java.util.Arrays.stream(sorted).average().orElse(0) / 1e6;
        return String.format("%d writes, mean %.2f ms, p50 %.2f ms, p99 %.2f ms", sorted.length, mean,
                sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6);
    }

    private static String awaitLog(HastNode node, int mark, String text, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            String log = node.logText();
            int at = log.indexOf(text, Math.min(mark, log.length()));
            if (at >= 0) {
                int end = log.indexOf('\n', at);
                return log.substring(log.lastIndexOf('\n', at) + 1, end < 0 ? log.length() : end);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + ": \"" + text + "\" not logged\n" + log.substring(mark));
            }
            Thread.sleep(50);
        }
    }
}
