package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.hast.nv.NvWriter;
import org.hast.proto.Frame;
import org.hast.proto.Frames;
import org.hast.proto.LinkAuth;
import org.hast.testing.DataAreas;
import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue #18 on two real nodes: a pair with {@code secret} and TLS replicates through a relay
 * that records the wire (no plaintext of a written pattern in it), and a third party on the
 * peer's address (127.0.0.1, the primary's address in this loopback cluster) without the
 * secret, with a wrong one, or replaying the primary's recorded handshake is refused and changes
 * nothing on the secondary (same worker, same data). {@code integrity on} makes the primary offer
 * {@code hastcaps}, which the secondary's worker compares with its repeat inside TLS. About 15 s; there is no long form.
 */
class SecureLinkIT {
    private static final String RESOURCE = "shared";
    private static final long DISK = 16L << 20;
    private static final byte[] PATTERN = "hast #18 known plaintext pattern ".getBytes(StandardCharsets.US_ASCII);

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
    void secretAndTlsPairReplicatesAndRefusesThirdParties(TestInfo test) throws Exception {
        Requirements.requireTool("nbdcopy", "libnbd-bin");
        cluster = HastCluster.create(test.getTestMethod().orElseThrow().getName(), 2);
        cluster.createDisks(DISK, RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        Path pki = Files.createDirectories(cluster.dir().resolve("pki"));
        TestCertificates ca = TestCertificates.newCa(pki, "ca");
        ca.issue("node", "IP:127.0.0.1", 30);
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String secretText = HexFormat.of().formatHex(secret);
        Path secretFile = pki.resolve("secret");
        Files.writeString(secretFile, secretText + "\n");
        Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-------"));
        cluster.writeConfig("secret " + secretFile + "\ntlscert " + pki.resolve("node-cert.pem") + "\ntlskey "
                + ca.key("node") + "\ntlsca " + ca.caCert(), "integrity on", RESOURCE);
        // Node A reaches B through the recording relay.
        relay = new RecordingRelay(b.port());
        String config = Files.readString(cluster.config());
        Files.writeString(cluster.config(), config.replace("remote tcp4://127.0.0.1:" + b.port(),
                "remote tcp4://127.0.0.1:" + relay.port()));
        cluster.startPair(RESOURCE);

        Path pattern = pki.resolve("pattern.bin");
        ByteBuffer data = ByteBuffer.allocate(1 << 20);
        while (data.remaining() >= PATTERN.length) {
            data.put(PATTERN);
        }
        Files.write(pattern, data.array());
        try {
            Processes.Result copy = Processes.run(List.of("nbdcopy", pattern.toString(), a.exportUri(RESOURCE)),
                    Map.of(), Duration.ofSeconds(60));
            assertEquals(0, copy.exitCode(), copy.stderr());
            String expected = DataAreas.digest(pattern, 0, 1 << 20);
            long deadline = System.currentTimeMillis() + 20_000;
            while (!DataAreas.digest(b.disk(RESOURCE), b.localOffset(RESOURCE), 1 << 20).equals(expected)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(expected, DataAreas.digest(b.disk(RESOURCE), b.localOffset(RESOURCE), 1 << 20),
                    "the pattern reached the secondary");
        } finally {
            Files.deleteIfExists(pattern);
        }
        long carried = 0;
        for (RecordingRelay.Connection connection : relay.connections()) {
            byte[] sent = RecordingRelay.bytes(connection.sent());
            carried += sent.length;
            assertEquals(-1, RecordingRelay.indexOf(sent, PATTERN), "no plaintext of the pattern on the wire");
            assertEquals(-1, RecordingRelay.indexOf(RecordingRelay.bytes(connection.received()), PATTERN));
        }
        assertTrue(carried > 1 << 20, "the data went through the relay: " + carried + " bytes");
        // Both workers encrypt with the BoringSSL hastd ships for Linux x86-64; elsewhere, the JDK's engine.
        String engine = System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")
                ? "TLS engine: BoringSSL." : "TLS engine: the JDK's";
        assertTrue(a.logText().contains(engine), a.logText());
        assertTrue(b.logText().contains(engine), b.logText());

        // The third party: same address as the primary, no secret.
        long worker = b.workers().get(0).pid();
        String before = DataAreas.digest(b.disk(RESOURCE), 0, DISK);
        assertEquals("Authentication required: the resource has a secret and the peer sent a plain handshake"
                + " (a FreeBSD hastd, or no secret configured there).",
                refusal(b, List.of(new NvWriter().addString("resource", RESOURCE).addUint8("version", 2))));
        try (Socket socket = new Socket("127.0.0.1", b.port())) {
            send(socket, LinkAuth.hello(RESOURCE, LinkAuth.CONN_OUT, LinkAuth.nonce(),
                    List.of(secretText.getBytes(StandardCharsets.UTF_8))));
            Frames.readFrom(socket.getInputStream(), 4096);
            send(socket, LinkAuth.proof(new byte[LinkAuth.MAC_BYTES]));
            assertEquals("Authentication failed: wrong secret.",
                    Frames.readFrom(socket.getInputStream(), 4096).nv().getString("errmsg"));
        }
        // The primary's own first connection, as recorded: its HELLO, then its PROOF when challenged.
        byte[] recorded = RecordingRelay.bytes(relay.connections().get(0).sent());
        int hello = frameLength(recorded, 0);
        int proof = frameLength(recorded, hello);
        try (Socket socket = new Socket("127.0.0.1", b.port())) {
            socket.getOutputStream().write(recorded, 0, hello);
            InputStream in = socket.getInputStream();
            assertTrue(Frames.readFrom(in, 4096).nv().has(LinkAuth.FIELD_MAC), "a fresh challenge");
            socket.getOutputStream().write(recorded, hello, proof);
            assertEquals("Authentication failed: wrong secret.", Frames.readFrom(in, 4096).nv().getString("errmsg"));
        }
        HastCluster.awaitStatus(a, RESOURCE, "complete", 10_000);
        assertEquals(List.of(worker), b.workers().stream().map(ProcessHandle::pid).toList(),
                "the secondary worker was not disturbed");
        assertEquals(before, DataAreas.digest(b.disk(RESOURCE), 0, DISK), "nothing changed on the secondary");
        assertTrue(b.logText().contains("Authentication failed: wrong secret. (connection from tcp4://127.0.0.1:"),
                b.logText());
    }

    private static String refusal(HastNode node, List<NvWriter> frames) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", node.port())) {
            for (NvWriter nv : frames) {
                send(socket, nv);
            }
            Frame reply = Frames.readFrom(socket.getInputStream(), 4096);
            return reply.nv().getString("errmsg");
        }
    }

    private static void send(Socket socket, NvWriter nv) throws IOException {
        ByteBuffer frame = Frames.encode(LinkAuth.FRAME_VERSION, nv);
        socket.getOutputStream().write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
    }

    /** The length of the §4.1 frame (no payload) at {@code at}: 5 header bytes and the nv. */
    private static int frameLength(byte[] stream, int at) {
        return 5 + ByteBuffer.wrap(stream, at + 1, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
