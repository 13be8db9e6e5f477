package org.hast.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A CA and certificates signed by it, made by openssl in a test's directory: EC P-256,
 * unencrypted PKCS#8 keys, as hastd's TLS keywords expect. Skips (or fails with
 * HAST_E2E_REQUIRED=1) when openssl is missing.
 */
public final class TestCertificates {
    private final Path dir;
    private final String ca;

    private TestCertificates(Path dir, String ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new CA named {@code ca} in {@code dir} ({@code <ca>-cert.pem}, {@code <ca>-key.pem}). */
    public static TestCertificates newCa(Path dir, String ca) throws IOException, InterruptedException {
        Requirements.requireTool("openssl", "openssl");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                "-keyout", ca + "-key.pem", "-out", ca + "-cert.pem", "-subj", "/CN=" + ca,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new TestCertificates(dir, ca);
    }

    public Path caCert() {
        return dir.resolve(ca + "-cert.pem");
    }

    /**
     * A certificate {@code <name>-cert.pem} with key {@code <name>-key.pem}, usable as client and
     * server, naming {@code subjectAltName} (e.g. {@code IP:127.0.0.1}); {@code days} -1 makes
     * one that has already expired.
     */
    public Path issue(String name, String subjectAltName, int days) throws IOException, InterruptedException {
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj", "/CN=" + name);
        java.nio.file.Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=" + subjectAltName
                + "\nextendedKeyUsage=serverAuth,clientAuth\n");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + "-cert.pem", "-CAkey", ca + "-key.pem",
                "-set_serial", String.valueOf(System.nanoTime() & 0x7fffffff), "-days", String.valueOf(days),
                "-extfile", name + ".ext", "-out", name + "-cert.pem");
        return dir.resolve(name + "-cert.pem");
    }

    public Path key(String name) {
        return dir.resolve(name + "-key.pem");
    }

    private static void openssl(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Processes.Result result = Processes.run(command, Map.of(), workDir, Duration.ofSeconds(60));
        if (result.exitCode() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + result.stderr());
        }
    }
}
