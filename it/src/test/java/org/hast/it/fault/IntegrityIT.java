package org.hast.it.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.JsonStatusSchema;
import org.hast.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #17 on two real nodes, one cluster, the replication link through a byte-counting relay:
 * online verify finds exactly the blocks corrupted behind hastd's back on the secondary and on
 * the primary, repairs them with {@code -r}, and finds nothing while a writer keeps writing
 * through the export; checksum resynchronisation after an outage sends only the changed blocks;
 * a {@code syncrate} changed by SIGHUP reaches the running primary worker (status --json shows it
 * with the last verify's result) and is not exceeded by more than 10 %; and with the secondary
 * restarted without the capability (a mixed pair) the pair still synchronises and verify is
 * refused with exit status 69. About 30 s, most of it the primary's 10 s reconnect interval,
 * twice. The long form ({@code -Dhast.integrity.long=true} or {@code HAST_INTEGRITY_LONG=1}, about
 * 15 s more) also switches the capability by SIGHUP on the running pair: the secondary's (it
 * restarts, the primary reconnects) and the primary's (it reconnects at once), verify working or
 * refused accordingly.
 */
class IntegrityIT {
    private static final String RESOURCE = "r0";
    private static final long MIB = 1L << 20;
    private static final long DISK = 40 * MIB;
    private static final long EXTENT = 2 * MIB;
    /** Step 7, the integrity capability switched by SIGHUP both ways: by hand only (a reconnect, about 15 s). */
    private static final boolean LONG = Boolean.getBoolean("hast.integrity.long")
            || "1".equals(System.getenv("HAST_INTEGRITY_LONG"));
    /** The {@code syncrate} after the reload of step 4 (32m before). */
    private static final long RELOADED_RATE = 16 * MIB;
    private static final String INTEGRITY = "integrity on\nsyncmode checksum\nsyncrate 32m";
    private static final Pattern DIFFERS = Pattern.compile("Verify: block at offset (\\d+) ");
    private static final Pattern SYNC_RATE = Pattern.compile("\\(([0-9.]+)([KMGTPE]?)B/sec\\)");

    private HastCluster cluster;
    private CountingRelay relay;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void verifyRepairChecksumSyncRateAndMixedPair() throws Exception {
        long t0 = System.nanoTime();
        cluster = HastCluster.create("IntegrityIT", 2);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        cluster.createDisks(DISK, RESOURCE);
        cluster.writeConfig("", INTEGRITY, RESOURCE);
        relay = new CountingRelay(b.port());
        String shared = Files.readString(cluster.config());
        Path aConfig = cluster.dir().resolve("a.conf");
        Files.writeString(aConfig, shared.replace("remote tcp4://" + b.address() + ":" + b.port(),
                "remote tcp4://127.0.0.1:" + relay.port()));
        a.setConfig(aConfig);
        cluster.startPair(RESOURCE);
        long localOff = a.localOffset(RESOURCE);

        try (NbdClient nbd = NbdClient.connect(a.exportSocket(RESOURCE), RESOURCE)) {
            nbd.write(0, random(4 * MIB, 1)).get(30, TimeUnit.SECONDS);
            nbd.flush().get(30, TimeUnit.SECONDS);

            step("started", t0);
            // 1. One block corrupted on each node, behind hastd's back: verify reports exactly those.
            long onSecondary = MIB + 8192;
            long onPrimary = 20 * MIB + 4096;
            corrupt(b.local(RESOURCE), localOff + onSecondary);
            corrupt(a.local(RESOURCE), localOff + onPrimary);
            int mark = a.logText().length();
            expectOk(a, "verify", RESOURCE);
            String done = awaitLog(a, mark, "Verify complete.", 60_000);
            assertEquals(new TreeSet<>(Set.of(onSecondary, onPrimary)), differing(a, mark), a.logText());
            assertTrue(done.contains(", 2 blocks differ"), done);

            step("verify", t0);
            // 2. -r: both blocks are resynchronised from the primary; the copies are then identical.
            mark = a.logText().length();
            expectOk(a, "verify", "-r", RESOURCE);
            awaitLog(a, mark, "Verify complete.", 60_000);
            awaitLog(a, mark, "Synchronization complete.", 60_000);
            awaitClean(a);
            DataAreas.assertIdentical(a, b, RESOURCE, DISK, "after verify -r");

            step("repair", t0);
            // 3. Identical copies under a steady writer: nothing reported.
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                Random r = new Random(3);
                while (writing.get()) {
                    long offset = (long) r.nextInt((int) ((DISK - localOff) / 4096)) * 4096;
                    try {
                        nbd.write(offset, random(4096, r.nextLong())).get(30, TimeUnit.SECONDS);
                        written.incrementAndGet();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            }, "writer");
            writer.start();
            mark = a.logText().length();
            expectOk(a, "verify", RESOURCE);
            done = awaitLog(a, mark, "Verify complete.", 60_000);
            writing.set(false);
            writer.join(30_000);
            assertTrue(written.get() > 0, "the writer wrote during verify");
            assertTrue(done.contains(", 0 blocks differ"), done + " with " + written.get() + " writes");

            step("writer", t0);
            // 4. SIGHUP with a lower syncrate reaches the running worker (no restart, no
            // reconnect: the offer is unchanged); status --json shows it and the last verify.
            mark = a.logText().length();
            Files.writeString(aConfig, Files.readString(aConfig).replace("syncrate 32m", "syncrate 16m"));
            a.signal("HUP");
            awaitLog(a, mark, "Integrity settings reloaded: syncmode checksum, syncrate " + RELOADED_RATE, 30_000);
            Processes.Result status = a.hastctl("status", "--json", RESOURCE);
            assertEquals(0, status.exitCode(), status.toString());
            JsonStatusSchema.assertValid(status.stdout(), "after the reload");
            for (String field : new String[] {"\"rate_limit_bytes_per_second\" : " + RELOADED_RATE,
                "\"mode\" : \"checksum\"", "\"state\" : \"complete\"", "\"mismatches\" : 0"}) {
                assertTrue(status.stdout().contains(field), field + " in\n" + status.stdout());
            }
            assertFalse(a.logText().substring(mark).contains("Disconnected"), "a reload that needs no reconnect");

            step("reload", t0);
            // 5. Checksum resync after an outage: only the changed blocks travel; the reloaded rate holds.
            expectOk(b, "role", "init", RESOURCE);
            HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
            int changed = 8;
            for (int k = 0; k < changed; k++) {
                nbd.write(k * EXTENT + 4096, random(4096, 100 + k)).get(30, TimeUnit.SECONDS);
            }
            nbd.flush().get(30, TimeUnit.SECONDS);
            long before = relay.toTarget();
            mark = a.logText().length();
            expectOk(b, "role", "secondary", RESOURCE);
            String synced = awaitLog(a, mark, "Synchronization complete.", 30_000);
            long sent = relay.toTarget() - before;
            System.out.printf("IntegrityIT: checksum resync sent %d bytes primary->secondary for %d changed"
                    + " 4 KiB blocks; %s%n", sent, changed, synced);
            assertTrue(sent >= changed * 4096L, "every changed block travelled: " + sent);
            assertTrue(sent < changed * 4096L + 256 * 1024, "only the changed blocks travelled: " + sent);
            long rate = humanBytes(synced);
            assertTrue(rate <= RELOADED_RATE * 11 / 10, "syncrate 16m exceeded by more than 10 %: " + synced);
            awaitClean(a);
            DataAreas.assertIdentical(a, b, RESOURCE, DISK, "after the checksum resync");

            step("checksum", t0);
            // 6. Mixed pair: the secondary comes back without the capability.
            b.stop();
            HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
            for (int k = 0; k < 4; k++) {
                nbd.write(k * 3 * EXTENT, random(64 * 1024, 200 + k)).get(30, TimeUnit.SECONDS);
            }
            nbd.flush().get(30, TimeUnit.SECONDS);
            Path bConfig = cluster.dir().resolve("b.conf");
            Files.writeString(bConfig, shared.replace(INTEGRITY, ""));
            b.setConfig(bConfig);
            mark = a.logText().length();
            b.start();
            expectOk(b, "role", "secondary", RESOURCE);
            awaitLog(a, mark, "Synchronization complete.", 30_000);
            awaitClean(a);
            DataAreas.assertIdentical(a, b, RESOURCE, DISK, "mixed pair");
            Processes.Result refused = a.hastctl("verify", RESOURCE);
            assertEquals(69, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("does not support verify"), refused.toString());
            assertEquals(1, refused.stderr().lines().count(), refused.toString());
            step("mixed", t0);
            if (!LONG) {
                return;
            }
            // 7 (long form). The capability switched by SIGHUP on a running pair: the secondary
            // gets integrity back (it restarts, the primary reconnects and negotiates), then the
            // primary drops and regains it (it reconnects at once each time).
            mark = a.logText().length();
            Files.writeString(bConfig, shared);
            b.signal("HUP");
            awaitLog(a, mark, "Connected to", 30_000);
            expectOk(a, "verify", RESOURCE);
            awaitLog(a, mark, "Verify complete.", 60_000);
            String withIntegrity = Files.readString(aConfig);
            mark = a.logText().length();
            Files.writeString(aConfig, withIntegrity.replace(INTEGRITY.replace("32m", "16m"), ""));
            a.signal("HUP");
            awaitLog(a, mark, "Integrity offer changed; reconnecting", 30_000);
            awaitLog(a, mark, "Connected to", 30_000);
            assertEquals(69, a.hastctl("verify", RESOURCE).exitCode(), "the primary no longer offers the hashes");
            mark = a.logText().length();
            Files.writeString(aConfig, withIntegrity);
            a.signal("HUP");
            awaitLog(a, mark, "Connected to", 30_000);
            expectOk(a, "verify", RESOURCE);
            awaitLog(a, mark, "Verify complete.", 60_000);
            step("reload offer", t0);
        }
    }

    private static void step(String what, long t0) {
        System.out.printf("IntegrityIT: %s at %.1f s%n", what, (System.nanoTime() - t0) / 1e9);
    }

    private static ByteBuffer random(long length, long seed) {
        byte[] bytes = new byte[(int) length];
        new Random(seed).nextBytes(bytes);
        return ByteBuffer.wrap(bytes);
    }

    private static void corrupt(Path disk, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            ByteBuffer junk = random(4096, position);
            while (junk.hasRemaining()) {
                ch.write(junk, position + junk.position());
            }
            ch.force(false);
        }
    }

    private static void expectOk(HastNode node, String command, String... args) throws Exception {
        Processes.Result r = node.hastctl(command, args);
        assertEquals(0, r.exitCode(), node.name() + ": hastctl " + command + " " + String.join(" ", args) + "\n" + r);
    }

    private static Set<Long> differing(HastNode node, int mark) {
        Matcher m = DIFFERS.matcher(node.logText().substring(mark));
        Set<Long> found = new TreeSet<>();
        while (m.find()) {
            found.add(Long.parseLong(m.group(1)));
        }
        return found;
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
            Thread.sleep(20);
        }
    }

    private static void awaitClean(HastNode node) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!node.hastctl("list", RESOURCE).stdout().contains("  dirty: 0 ")) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + " never clean\n" + node.hastctl("list", RESOURCE));
            }
            Thread.sleep(100);
        }
    }

    /** The rate of a "Synchronization complete." line, less half a unit of its last digit (humanize rounds). */
    private static long humanBytes(String line) {
        Matcher m = SYNC_RATE.matcher(line);
        assertTrue(m.find(), line);
        long unit = 1L << (10 * "_KMGTPE".indexOf(m.group(2).isEmpty() ? "_" : m.group(2)));
        double ulp = m.group(1).contains(".") ? 0.1 : 1;
        return (long) ((Double.parseDouble(m.group(1)) - ulp / 2) * unit);
    }
}
