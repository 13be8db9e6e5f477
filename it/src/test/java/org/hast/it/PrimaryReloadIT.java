package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A hot reload on a primary (spec §1.9) on two real nodes: a SIGHUP that changes only the
 * reloadable parameters keeps the worker and its device, drops the connections when
 * {@code remote} changed and makes them to the new address, and the requests sent after it use
 * the new {@code checksum}. The new address is a recording relay in front of the same
 * secondary, so the test sees both the reconnection and the frames; then {@code remote none} and
 * back. About 10 s.
 */
class PrimaryReloadIT {
    private static final String RESOURCE = "r0";
    private static final long DISK = 16L << 20;
    private static final int WRITTEN = 256 << 10;

    private HastCluster cluster;
    private RecordingRelay relay;

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void newRemoteAddressAndChecksumApplyWithoutARestart(TestInfo test) throws Exception {
        Requirements.requireTool("nbdcopy", "libnbd-bin");
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(DISK, RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        cluster.writeConfig("", "", RESOURCE);
        cluster.startPair(RESOURCE);
        String workerBefore = a.logText();

        relay = new RecordingRelay(b.port());
        String direct = "remote tcp4://127.0.0.1:" + b.port();
        String config = Files.readString(cluster.config());
        assertTrue(config.contains(direct), config);
        // Node B reads the same file but gets no SIGHUP: only A's definition matters here.
        Files.writeString(cluster.config(), config.replace(direct, "remote tcp4://127.0.0.1:" + relay.port())
                .replace("resource " + RESOURCE + " {\n", "resource " + RESOURCE + " {\n\tchecksum crc32\n"));
        int mark = a.logText().length();
        a.signal("HUP");
        long deadline = System.currentTimeMillis() + 30_000;
        while (relay.connections().size() < 2) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("node A did not connect to its new remote address after the reload ("
                        + relay.connections().size() + " connections):\n" + a.logText().substring(mark));
            }
            Thread.sleep(100);
        }
        awaitLog(a, mark, "Remote address changed; reconnecting to tcp4://127.0.0.1:" + relay.port() + ".");
        awaitLog(a, mark, "Connected to tcp4://127.0.0.1:" + relay.port());
        HastCluster.awaitStatus(a, RESOURCE, "complete", 30_000);
        String since = a.logText().substring(mark);
        assertTrue(!since.contains("Role changed") && !since.contains("Device"),
                "a hot reload keeps the worker and its device:\n" + since);
        assertEquals(count(workerBefore, "Worker process ready"), count(a.logText(), "Worker process ready"),
                "no new worker");

        Path pattern = cluster.dir().resolve("pattern.bin");
        ByteBuffer data = ByteBuffer.allocate(WRITTEN);
        for (int i = 0; data.hasRemaining(); i++) {
            data.put((byte) (i * 31 + (i >> 9)));
        }
        Files.write(pattern, data.array());
        try {
            Processes.Result copy = Processes.run(List.of("nbdcopy", pattern.toString(), a.exportUri(RESOURCE)),
                    Map.of(), Duration.ofSeconds(60));
            assertEquals(0, copy.exitCode(), copy.stderr());
            String expected = DataAreas.digest(pattern, 0, WRITTEN);
            deadline = System.currentTimeMillis() + 20_000;
            while (!DataAreas.digest(b.disk(RESOURCE), b.localOffset(RESOURCE), WRITTEN).equals(expected)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(expected, DataAreas.digest(b.disk(RESOURCE), b.localOffset(RESOURCE), WRITTEN),
                    "the writes reached the secondary through the new address");
        } finally {
            Files.deleteIfExists(pattern);
        }
        // The nv entry's name "checksum" with its NUL, padded to 16 bytes, then the value (spec §5.1).
        byte[] checksumField = "checksum\0\0\0\0\0\0\0\0crc32\0".getBytes(StandardCharsets.US_ASCII);
        boolean crc32Sent = false;
        for (RecordingRelay.Connection connection : relay.connections()) {
            crc32Sent |= RecordingRelay.indexOf(RecordingRelay.bytes(connection.sent()), checksumField) >= 0;
        }
        assertTrue(crc32Sent, "WRITEs after the reload carry checksum crc32 (" + relay.connections().size()
                + " relayed connections)");

        // remote none stops replicating; an address again starts it, still without a new worker.
        String viaRelay = "remote tcp4://127.0.0.1:" + relay.port();
        String withRelay = Files.readString(cluster.config());
        Files.writeString(cluster.config(), withRelay.replace(viaRelay, "remote none"));
        mark = a.logText().length();
        a.signal("HUP");
        awaitLog(a, mark, "Configuration reloaded.");
        HastCluster.awaitStatus(a, RESOURCE, "degraded", 30_000);
        int before = relay.connections().size();
        Files.writeString(cluster.config(), withRelay);
        mark = a.logText().length();
        a.signal("HUP");
        awaitLog(a, mark, "Connected to tcp4://127.0.0.1:" + relay.port());
        HastCluster.awaitStatus(a, RESOURCE, "complete", 30_000);
        assertTrue(relay.connections().size() >= before + 2, "a new pair of connections after remote none");
        assertEquals(count(workerBefore, "Worker process ready"), count(a.logText(), "Worker process ready"),
                "no new worker");
    }

    private static void awaitLog(HastNode node, int from, String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (node.logText().indexOf(text, from) < 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(node.name() + ": no '" + text + "' after the reload:\n"
                        + node.logText().substring(from));
            }
            Thread.sleep(100);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }
}
