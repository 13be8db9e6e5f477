package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;

/**
 * What the synchronisation and split-brain tests (issue #8) share on top of {@link HastCluster}:
 * a hook script that records events, workloads through the primary's export, and ways to read
 * what hastd did (dirty bytes from {@code hastctl list}, bytes synchronised from the log, the
 * digest of a data area).
 */
final class SyncChecks {
    static final String RESOURCE = "r0";
    static final Duration TOOL_LIMIT = Duration.ofMinutes(2);
    /** The primary retries its connection every 10 s (spec §3.6): one retry plus slack. */
    static final long RECONNECT_MILLIS = 25_000;

    private static final Pattern SYNC_COMPLETE = Pattern.compile(
            "Synchronization complete\\. ([0-9.]+)([KMGTPE]?)B synchronized");
    private static final Pattern DIRTY = Pattern.compile("(?m)^  dirty: (\\d+) ");

    private SyncChecks() {
    }

    static void requireTools() {
        Requirements.requireTool("fio", "fio");
        Requirements.requireTool("nbdcopy", "libnbd-bin");
    }

    /**
     * A cluster of two nodes with {@code diskBytes} sparse disks, resource {@link #RESOURCE} and an
     * {@code exec} hook that appends "{@code <node> <event> <resource> ...}" to {@link #events}.
     * Not started.
     */
    static HastCluster cluster(String testName, long diskBytes) throws IOException {
        return cluster(testName, diskBytes, "");
    }

    /** {@link #cluster(String, long)} with {@code resourceExtra} in the resource's section. */
    static HastCluster cluster(String testName, long diskBytes, String resourceExtra) throws IOException {
        HastCluster cluster = HastCluster.create(testName, 2);
        cluster.createDisks(diskBytes, RESOURCE);
        Path hook = cluster.dir().resolve("hook.sh");
        Files.writeString(hook, "#!/bin/sh\necho \"$HAST_NODE $*\" >> " + events(cluster) + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        cluster.writeConfig("exec " + hook, resourceExtra, RESOURCE);
        return cluster;
    }

    static Path events(HastCluster cluster) {
        return cluster.dir().resolve("events.log");
    }

    /** Hook lines recorded so far, e.g. {@code nodeA syncdone r0}. */
    static List<String> eventLines(HastCluster cluster) throws IOException {
        Path file = events(cluster);
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    /** Waits until the hook recorded {@code line} at least {@code count} times. */
    static void awaitEvent(HastCluster cluster, String line, int count, long millis)
            throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (eventLines(cluster).stream().filter(line::equals).count() < count) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("event \"" + line + "\" not seen " + count + " times; events:\n"
                        + String.join("\n", eventLines(cluster)));
            }
            Thread.sleep(50);
        }
    }

    static Processes.Result run(HastNode logOf, String... argv) throws IOException, InterruptedException {
        Processes.Result r = Processes.run(List.of(argv), Map.of(), TOOL_LIMIT);
        assertEquals(0, r.exitCode(), String.join(" ", argv) + "\n" + r + "\n" + logOf.logText());
        return r;
    }

    static void hastctl(HastNode node, String... args) throws IOException, InterruptedException {
        Processes.Result r = node.hastctl(args[0], java.util.Arrays.copyOfRange(args, 1, args.length));
        assertEquals(0, r.exitCode(), node.name() + ": hastctl " + String.join(" ", args) + "\n" + r);
    }

    /**
     * Writes {@code bytesPerRegion} of random data (fresh per block, seeded) through
     * {@code node}'s export at each of {@code offsets}, one fio job per region at once.
     */
    static void writeRegions(HastNode node, long bytesPerRegion, long seed, long... offsets)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--uri=" + node.exportUri(RESOURCE),
                "--rw=randwrite", "--bs=64k", "--iodepth=16", "--refill_buffers", "--randrepeat=0",
                "--randseed=" + seed, "--size=" + bytesPerRegion, "--end_fsync=1", "--output-format=terse"));
        for (int i = 0; i < offsets.length; i++) {
            argv.add("--name=region" + i);
            argv.add("--offset=" + offsets[i]);
        }
        run(node, argv.toArray(String[]::new));
    }

    /** Waits until {@code node} (just made primary) serves its NBD export. */
    static void awaitExport(HastNode node) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(node.exportSocket(RESOURCE))) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + " never opened its export\n" + node.logText());
            }
            Thread.sleep(50);
        }
    }

    /** {@code dirty} of {@link #RESOURCE} as {@code hastctl list} shows it on {@code node}. */
    static long dirtyBytes(HastNode node) throws IOException, InterruptedException {
        String list = node.hastctl("list", RESOURCE).stdout();
        Matcher m = DIRTY.matcher(list);
        if (!m.find()) {
            throw new AssertionError(node.name() + ": no dirty line in\n" + list);
        }
        return Long.parseLong(m.group(1));
    }

    /** A counter of {@link #RESOURCE} as {@code hastctl list} shows it on {@code node} ("    writes: 12"). */
    static long listCount(HastNode node, String name) throws IOException, InterruptedException {
        String list = node.hastctl("list", RESOURCE).stdout();
        Matcher m = Pattern.compile("(?m)^ +" + Pattern.quote(name) + ": (\\d+)").matcher(list);
        if (!m.find()) {
            throw new AssertionError(node.name() + ": no " + name + " line in\n" + list);
        }
        return Long.parseLong(m.group(1));
    }

    /** Waits until the running synchronisation on {@code node} has copied something. */
    static void awaitSyncProgress(HastNode node, long millis) throws IOException, InterruptedException {
        Pattern done = Pattern.compile("\"done_bytes\"\\s*:\\s*(\\d+)");
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            String json = node.hastctl("status", "--json", RESOURCE).stdout();
            Matcher m = done.matcher(json);
            if (m.find() && Long.parseLong(m.group(1)) > 0) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + ": no synchronisation progress within " + millis + " ms:\n" + json);
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code node} shows {@code dirty: 0}. */
    static void awaitClean(HastNode node, long millis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        long dirty;
        while ((dirty = dirtyBytes(node)) != 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + ": still " + dirty + " bytes dirty\n" + node.logText());
            }
            Thread.sleep(200);
        }
    }

    /** Where the log ends now: pass to the log waits to look only at what comes after. */
    static int logMark(HastNode node) {
        return node.logText().length();
    }

    /** Waits for {@code text} in {@code node}'s log after {@code mark}; returns its line. */
    static String awaitLog(HastNode node, int mark, String text, long millis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            String log = node.logText();
            int at = log.indexOf(text, Math.min(mark, log.length()));
            if (at >= 0) {
                int end = log.indexOf('\n', at);
                int start = log.lastIndexOf('\n', at) + 1;
                return log.substring(start, end < 0 ? log.length() : end);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + ": \"" + text + "\" not logged\n" + log.substring(
                        Math.min(mark, log.length())));
            }
            Thread.sleep(20);
        }
    }

    /**
     * The amount in a "Synchronization complete. &lt;human&gt;B synchronized" line, as an upper
     * bound: humanize_number rounds, so half a unit (of the last digit shown) is added.
     */
    static long syncedBytesAtMost(String line) {
        return humanBytesAtMost(line, SYNC_COMPLETE.pattern());
    }

    /** Same as {@link #syncedBytesAtMost}, as a lower bound. */
    static long syncedBytesAtLeast(String line) {
        return humanBytes(line, SYNC_COMPLETE.pattern(), -1);
    }

    /** The humanized amount matched by {@code regex} (groups: number, unit letter), rounded up. */
    static long humanBytesAtMost(String line, String regex) {
        return humanBytes(line, regex, 1);
    }

    private static long humanBytes(String line, String regex, int roundingSign) {
        Matcher m = Pattern.compile(regex).matcher(line);
        if (!m.find()) {
            throw new AssertionError("\"" + regex + "\" not in: " + line);
        }
        String number = m.group(1);
        long unit = 1L << (10 * "_KMGTPE".indexOf(m.group(2).isEmpty() ? "_" : m.group(2)));
        double ulp = number.contains(".") ? 0.1 : 1;
        return (long) ((Double.parseDouble(number) + roundingSign * ulp / 2) * unit);
    }

    static long dataSize(HastNode node, long diskBytes) throws IOException {
        return diskBytes - node.localOffset(RESOURCE);
    }

    /** SHA-256 of {@code node}'s data area (a sparse file reads zeros past its end). */
    static String dataDigest(HastNode node, long diskBytes) throws IOException {
        long offset = node.localOffset(RESOURCE);
        return DataAreas.digest(node.disk(RESOURCE), offset, diskBytes - offset);
    }

    /** Both data areas byte for byte the same (same localoff on both nodes). */
    static void assertIdentical(HastNode a, HastNode b, long diskBytes, String what) throws IOException {
        DataAreas.assertIdentical(a, b, RESOURCE, diskBytes, what);
    }
}
