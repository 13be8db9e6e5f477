package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hast.conf.ExportTls;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export with TLS required (exportcert, exportkey, exportca): plain options are refused
 * with ERR_TLS_REQD; libnbd's nbdinfo and qemu-io get in with a client certificate from the
 * configured CA, and are refused without one or with one from another CA. Certificates are
 * made by openssl for each run, in the test's temporary directory.
 */
@Timeout(120)
@ExtendWith(NbdLeaks.class)
class NbdTlsTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final long SIZE = 4L << 20;

    @TempDir
    static Path certs;
    @TempDir
    Path dir;
    private FileBackend backend;
    private NbdServer server;
    private int port;

    @BeforeAll
    static void makeCertificates() throws Exception {
        Requirements.requireTool("openssl", "openssl");
        Path ca = certs.resolve("ca");
        selfSignedCa(ca, "hast-test-ca");
        Path rogueCa = certs.resolve("rogue-ca");
        selfSignedCa(rogueCa, "someone-else");
        Path server = Files.createDirectory(certs.resolve("server"));
        leaf(ca, server.resolve("server"), "localhost",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        Files.copy(ca.resolve("ca-cert.pem"), server.resolve("ca-cert.pem"));
        // Client directories as GnuTLS (qemu, libnbd) read them: ca-cert.pem to check the
        // server, client-cert.pem and client-key.pem to show.
        String clientExt = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n";
        Path good = Files.createDirectory(certs.resolve("good"));
        Files.copy(ca.resolve("ca-cert.pem"), good.resolve("ca-cert.pem"));
        leaf(ca, good.resolve("client"), "hast-client", clientExt);
        Path noCert = Files.createDirectory(certs.resolve("nocert"));
        Files.copy(ca.resolve("ca-cert.pem"), noCert.resolve("ca-cert.pem"));
        Path rogue = Files.createDirectory(certs.resolve("rogue"));
        Files.copy(ca.resolve("ca-cert.pem"), rogue.resolve("ca-cert.pem"));
        leaf(rogueCa, rogue.resolve("client"), "hast-client", clientExt);
    }

    private static void openssl(Path workDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Processes.Result r = Processes.run(command, Map.of(), workDir, LIMIT);
        assertEquals(0, r.exitCode(), String.join(" ", command) + "\n" + r);
    }

    private static void selfSignedCa(Path dir, String name) throws Exception {
        Files.createDirectory(dir);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca-key.pem", "-out", "ca-cert.pem", "-days", "2", "-subj", "/CN=" + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    /** {@code <prefix>-key.pem} (PKCS#8) and {@code <prefix>-cert.pem} signed by the CA in {@code ca}. */
    private static void leaf(Path ca, Path prefix, String name, String extensions) throws Exception {
        Path work = prefix.getParent();
        String base = prefix.getFileName().toString();
        Path ext = work.resolve(base + ".ext");
        Files.writeString(ext, extensions);
        openssl(work, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", base + "-key.pem", "-out", base + ".csr", "-subj", "/CN=" + name);
        openssl(work, "x509", "-req", "-in", base + ".csr", "-CA", ca.resolve("ca-cert.pem").toString(),
                "-CAkey", ca.resolve("ca-key.pem").toString(), "-set_serial", String.valueOf(System.nanoTime()),
                "-days", "2", "-extfile", ext.toString(), "-out", base + "-cert.pem");
        Files.delete(work.resolve(base + ".csr"));
        Files.delete(ext);
    }

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        backend = new FileBackend(dir.resolve("disk"), SIZE, true);
        Path s = certs.resolve("server");
        server = NbdServer.start("tcp4://127.0.0.1:" + port, "res0", backend, new ExportTls(
                s.resolve("server-cert.pem").toString(), s.resolve("server-key.pem").toString(),
                s.resolve("ca-cert.pem").toString()));
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static Processes.Result run(String... command) throws Exception {
        Processes.Result r = Processes.run(List.of(command), Map.of(), LIMIT);
        assertFalse(r.timedOut(), "timed out: " + String.join(" ", command));
        return r;
    }

    private String nbds(String clientDir) {
        return "nbds://127.0.0.1:" + port + "/res0?tls-certificates=" + certs.resolve(clientDir);
    }

    @Test
    void beforeStartTlsEveryOptionButAbortIsRefused() throws Exception {
        try (NbdTestClient c = NbdTestClient.connect(new InetSocketAddress("127.0.0.1", port))) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
            for (int option : new int[] {OPT_GO, OPT_INFO, OPT_LIST, OPT_STRUCTURED_REPLY, 99}) {
                c.sendOption(option, option == OPT_GO || option == OPT_INFO ? NbdTestClient.infoData("res0")
                        : new byte[0]);
                NbdTestClient.OptionReply r = c.readOptionReply();
                assertEquals(option, r.option);
                assertEquals(REP_ERR_TLS_REQD, r.type, "option " + option);
            }
            c.sendOption(OPT_STARTTLS, new byte[] {1});
            assertEquals(REP_ERR_INVALID, c.readOptionReply().type, "STARTTLS carries no data");
            c.sendOption(OPT_ABORT, new byte[0]);
            assertEquals(REP_ACK, c.readOptionReply().type);
            assertTrue(c.closedByServer());
        }
        try (NbdTestClient c = NbdTestClient.connect(new InetSocketAddress("127.0.0.1", port))) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE);
            c.sendOption(OPT_EXPORT_NAME, "res0".getBytes());
            assertTrue(c.closedByServer(), "EXPORT_NAME cannot be refused, so the connection ends");
        }
    }

    @Test
    void startTlsIsAcknowledgedInClear() throws Exception {
        try (NbdTestClient c = NbdTestClient.connect(new InetSocketAddress("127.0.0.1", port))) {
            c.readGreeting();
            c.sendClientFlags(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
            c.sendOption(OPT_STARTTLS, new byte[0]);
            NbdTestClient.OptionReply r = c.readOptionReply();
            assertEquals(OPT_STARTTLS, r.option);
            assertEquals(REP_ACK, r.type);
            // Not a TLS ClientHello: the server's TLS layer refuses it and hangs up.
            c.sendOption(OPT_GO, NbdTestClient.infoData("res0"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void nbdinfoWithAClientCertificateGetsIn() throws Exception {
        Requirements.requireTool("nbdinfo", "libnbd-bin");
        Processes.Result r = run("nbdinfo", "--json", nbds("good"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("\"export-size\": " + SIZE), r.stdout());
    }

    @Test
    void qemuIoWritesAndReadsBackOverTls() throws Exception {
        Requirements.requireTool("qemu-io", "qemu-utils");
        Processes.Result r = run("qemu-io",
                "--object", "tls-creds-x509,id=tls0,endpoint=client,dir=" + certs.resolve("good"),
                "--image-opts", "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + port
                        + ",export=res0,tls-creds=tls0",
                "-c", "write -P 0x5a 65536 65536", "-c", "read -P 0x5a 65536 65536", "-c", "flush");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("read 65536/65536"), r.toString());
        assertFalse(r.stdout().contains("Pattern verification failed"), r.toString());
        ByteBuffer onDisk = ByteBuffer.allocate(65536);
        try (var channel = java.nio.channels.FileChannel.open(dir.resolve("disk"))) {
            channel.read(onDisk, 65536);
        }
        for (int i = 0; i < onDisk.capacity(); i++) {
            assertEquals(0x5a, onDisk.get(i), "byte " + i);
        }
    }

    @Test
    void clientsWithoutTlsWithoutACertificateOrFromAnotherCaAreRefused() throws Exception {
        Requirements.requireTool("nbdinfo", "libnbd-bin");
        Requirements.requireTool("qemu-io", "qemu-utils");
        Processes.Result plain = run("nbdinfo", "nbd://127.0.0.1:" + port + "/res0");
        assertNotEquals(0, plain.exitCode(), plain.toString());
        for (String clientDir : new String[] {"nocert", "rogue"}) {
            Processes.Result r = run("nbdinfo", "--json", nbds(clientDir));
            assertNotEquals(0, r.exitCode(), clientDir + ": " + r);
            assertFalse(r.stdout().contains("export-size"), clientDir + ": " + r);
            Processes.Result q = run("qemu-io",
                    "--object", "tls-creds-x509,id=tls0,endpoint=client,dir=" + certs.resolve(clientDir),
                    "--image-opts", "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + port
                            + ",export=res0,tls-creds=tls0",
                    "-c", "read 0 512");
            assertNotEquals(0, q.exitCode(), clientDir + ": " + q);
        }
        // And the server is still there for a proper client.
        assertEquals(0, run("nbdinfo", nbds("good")).exitCode());
    }

    @Test
    void unreadableTlsMaterialIsAClearError() throws Exception {
        IOException e = assertThrows(IOException.class, () -> NbdServer.start("tcp4://127.0.0.1:" + port,
                "res0", backend, new ExportTls("/nonexistent/c.pem", "/nonexistent/k.pem", "/nonexistent/ca.pem")));
        assertTrue(e.getMessage().startsWith("unable to load TLS material (exportcert /nonexistent/c.pem"),
                e.getMessage());
    }
}
