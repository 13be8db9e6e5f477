package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The Debian package (issue #13) as CI checks it: {@code scripts/package} on the jars this
 * build made, {@code apt-get install}, the installed programs (version, manual, CDS archives,
 * a two-node run with a role switch), lintian and {@code systemd-analyze verify}, then
 * {@code apt-get purge} and nothing of the package left where Debian policy does not keep it.
 * The package is purged in a finally block, so a failure never leaves it installed.
 */
// Alone: apt-get installs into and purges from the whole machine.
@Isolated
class PackageIT {
    private static final Duration LIMIT = Duration.ofMinutes(3);
    private static final String RESOURCE = "r0";
    /** Lintian warnings kept on purpose (docs/install.md says why); anything else fails. */
    private static final Set<String> KEPT_LINTIAN_WARNINGS = Set.of(
            "codeless-jar [usr/share/hast/lib/jffi-1.4.3-native.jar]");

    @Test
    void buildInstallRunPurge() throws Exception {
        Requirements.requireRoot();
        Requirements.requireTool("dpkg-deb", "dpkg");
        Requirements.requireTool("apt-get", "apt");
        Requirements.requireTool("lintian", "lintian");
        Requirements.requireTool("systemd-analyze", "systemd");
        Requirements.requireTool("man", "man-db");
        Requirements.requireTool("qemu-io", "qemu-utils");
        String status = run("dpkg-query", "-W", "-f=${Status}", "hast").stdout().strip();
        Requirements.require(status.isEmpty() || status.endsWith(" not-installed"),
                "the hast package is on this machine already (" + status + "); this test installs and purges it");

        Path work = Files.createTempDirectory(Path.of(System.getProperty("user.dir"), "target"), "package-");
        CompletableFuture<Processes.Result> lintian = null;
        try {
            Phases phases = new Phases();
            Path deb = buildPackage(work);
            phases.done("package");
            // lintian reads only the .deb and takes a while: it runs beside the rest.
            lintian = CompletableFuture.supplyAsync(() -> {
                try {
                    // Its TMPDIR is the test's: lintian leaves a cache file (mldbm-elf-*) in it.
                    return Processes.run(List.of("lintian", deb.toString()), Map.of("TMPDIR", work.toString()), LIMIT);
                } catch (IOException | InterruptedException e) {
                    throw new CompletionException(e);
                }
            });
            List<String> owned;
            try {
                expectOk(run("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q",
                        "--no-install-recommends", deb.toString()));
                phases.done("install");
                owned = run("dpkg-query", "-L", "hast").stdout().lines().toList();
                checkInstalledPrograms();
                checkUnits();
                phases.done("programs+units");
                serviceLifeCycleAsTheUnitRunsIt(work);
                phases.done("service life cycle");
                twoNodeRunFromInstalledPaths();
                phases.done("two nodes");
            } finally {
                expectOk(run("apt-get", "-o", "DPkg::Lock::Timeout=300", "purge", "-y", "-q", "hast"));
                phases.done("purge");
            }
            checkNothingLeft(owned);
            checkLintian(lintian.join());
            phases.done("lintian wait");
            // Where the time went, for CI logs (the machine's load varies a lot).
            System.out.println("PackageIT phases: " + phases);
        } finally {
            if (lintian != null) {
                // Never delete the .deb under a lintian still reading it.
                lintian.exceptionally(e -> null).join();
            }
            deleteTree(work);
        }
    }

    private static Path buildPackage(Path work) throws Exception {
        Processes.Result built = Processes.run(
                List.of(Requirements.projectRoot().resolve("scripts/package").toString()),
                Map.of("HAST_PACKAGE_NO_BUILD", "1", "HAST_PACKAGE_DIR", work.toString()), LIMIT);
        expectOk(built);
        Path deb = Path.of(built.stdout().strip());
        assertTrue(deb.getFileName().toString().matches("hast_.+_all\\.deb"), built.toString());
        assertTrue(Files.isRegularFile(deb), built.toString());
        return deb;
    }

    private static void checkInstalledPrograms() throws Exception {
        String version = projectVersion();
        assertEquals("hastctl " + version + " (HAST protocol version 2)\n",
                expectOk(run("/usr/sbin/hastctl", "--version")).stdout());
        assertEquals("hastd " + version + " (HAST protocol version 2)\n",
                expectOk(run("/usr/sbin/hastd", "--version")).stdout());
        for (String page : List.of("hastctl", "hastd", "hast.conf")) {
            assertTrue(expectOk(run("man", "-w", page)).stdout().startsWith("/usr/share/man/"), page);
        }
        // The failover script keepalived and ucarp call: installed, and it answers a bad call
        // with its usage line and EX_USAGE.
        Processes.Result failover = run("/usr/lib/hast/hast-failover", "nonsense");
        assertEquals(64, failover.exitCode(), failover.toString());
        assertTrue(failover.stderr().startsWith("hast-failover: usage:"), failover.toString());
        for (String link : List.of("ucarp-up", "ucarp-down")) {
            assertEquals(Path.of("hast-failover"), Files.readSymbolicLink(Path.of("/usr/lib/hast", link)), link);
        }
        assertTrue(Files.isExecutable(Path.of("/usr/lib/ocf/resource.d/hast/hast")), "the OCF agent ocf:hast:hast");
        // A fresh /etc/hast.conf configures no resource: dump has nothing to show.
        Processes.Result dump = run("/usr/sbin/hastctl", "dump");
        assertEquals(0, dump.exitCode(), dump.toString());
        assertEquals("", dump.stdout() + dump.stderr());
        // -Xshare:on refuses to start when the archive does not fit this JVM and class path.
        expectOk(run("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss512k",
                "-Xshare:on", "-XX:SharedArchiveFile=/var/cache/hast/hastctl.jsa",
                "-cp", "/usr/share/hast/hastctl.jar", "org.hast.ctl.HastCtl", "--version"));
        expectOk(run("java", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss512k", "-Xmx256m",
                "-Xshare:on", "-XX:SharedArchiveFile=/usr/share/hast/worker.jsa",
                "-cp", "/usr/share/hast/hastd.jar", "org.hast.daemon.HastdMain", "--version"));
    }

    private static void checkLintian(Processes.Result lintian) {
        List<String> findings = lintian.stdout().lines().filter(l -> l.matches("[A-Z]: hast: .*")).toList();
        for (String finding : findings) {
            String tag = finding.startsWith("W: hast: ") ? finding.substring("W: hast: ".length()) : finding;
            assertTrue(KEPT_LINTIAN_WARNINGS.contains(tag) || isManifestWrapMisread(tag), lintian.toString());
        }
    }

    /**
     * Lintian 2.116 reads only the first line of a jar's wrapped {@code Class-Path} and so
     * reports the jar name the 72-byte wrap cut in two as missing. Such a finding is accepted
     * only when the cut name is the start of a jar the package ships in {@code lib/} (the build's
     * {@code target/lib} of hastd or hastctl: the package is purged by the time lintian is read).
     */
    private static boolean isManifestWrapMisread(String tag) {
        Matcher cut = Pattern.compile("classpath-contains-relative-path lib/(\\S+) \\[usr/share/hast/hast(d|ctl)\\.jar\\]")
                .matcher(tag);
        if (!cut.matches()) {
            return false;
        }
        Path root = Path.of(System.getProperty("hast.root", ".."));
        try (Stream<Path> shipped = Stream.concat(Files.list(root.resolve("hastd/target/lib")),
                Files.list(root.resolve("hastctl/target/lib")))) {
            return shipped.map(jar -> jar.getFileName().toString())
                    .anyMatch(name -> name.startsWith(cut.group(1)) && !name.equals(cut.group(1)));
        } catch (IOException e) {
            return false;
        }
    }

    private static void checkUnits() throws Exception {
        Processes.Result verify = run("systemd-analyze", "verify",
                "/lib/systemd/system/hastd.service", "/lib/systemd/system/hast-role@.service");
        assertEquals(0, verify.exitCode(), verify.toString());
        assertEquals("", verify.stdout() + verify.stderr(), verify.toString());
    }

    /**
     * What hastd.service does, without systemd: ExecStart ({@code hastd -P pidfile}, forking)
     * returns once the pidfile names the serving daemon; ExecReload (SIGHUP) keeps it serving;
     * ExecStop ({@code hastctl role init all}) ends the worker; the stop signal ends hastd.
     */
    private static void serviceLifeCycleAsTheUnitRunsIt(Path work) throws Exception {
        Path dir = Files.createDirectories(work.resolve("service"));
        Path disk = dir.resolve("r0.img");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(16L << 20);
        }
        Path conf = dir.resolve("hast.conf");
        Path pidfile = dir.resolve("hastd.pid");
        Files.writeString(conf, "control uds://" + dir.resolve("ctl.sock") + "\ndevice none\n"
                + "listen tcp4://127.0.0.1:" + HastCluster.freePort() + "\n"
                + "resource r0 {\n\ton unit { local " + disk + " remote none }\n}\n");
        Map<String, String> env = Map.of("HAST_NODE", "unit");
        expectOk(Processes.run(List.of("/usr/sbin/hastctl", "create", "-c", conf.toString(), "r0"), env, LIMIT));
        expectOk(Processes.run(List.of("/usr/sbin/hastd", "-P", pidfile.toString(), "-c", conf.toString()), env, LIMIT));
        ProcessHandle daemon = ProcessHandle.of(Long.parseLong(Files.readString(pidfile).strip())).orElseThrow();
        try {
            expectOk(Processes.run(List.of("/usr/sbin/hastctl", "role", "-c", conf.toString(), "primary", "r0"), env, LIMIT));
            assertTrue(daemon.children().anyMatch(p -> p.info().commandLine().orElse("").contains("hastd: r0 (primary)")),
                    "a primary worker runs");
            expectOk(Processes.run(List.of("kill", "-HUP", Long.toString(daemon.pid())), env, LIMIT));
            String status = expectOk(Processes.run(List.of("/usr/sbin/hastctl", "status", "-c", conf.toString()), env,
                    LIMIT)).stdout();
            assertTrue(status.contains("r0\t") && status.contains("primary"), status);
            expectOk(Processes.run(List.of("/usr/sbin/hastctl", "role", "-c", conf.toString(), "init", "all"), env,
                    LIMIT));
            long deadline = System.currentTimeMillis() + 30_000;
            while (daemon.children().findAny().isPresent() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, daemon.children().count(), "no worker after role init all");
            daemon.destroy();
            daemon.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertFalse(Files.exists(pidfile), "hastd removes its pidfile when stopped");
        } finally {
            if (daemon.isAlive()) {
                daemon.destroyForcibly();
            }
        }
    }

    /** Two hastd from /usr/sbin: a write through A's export, A and B swap roles, B reads it. */
    private static void twoNodeRunFromInstalledPaths() throws Exception {
        try (HastCluster cluster = HastCluster.create("PackageIT", 2)) {
            cluster.useProgramsIn(Path.of("/usr/sbin"));
            cluster.createDisks(64L << 20, RESOURCE);
            cluster.writeConfig("", "", RESOURCE);
            cluster.startPair(RESOURCE);
            HastNode a = cluster.node(0);
            HastNode b = cluster.node(1);
            expectOk(run("qemu-io", "-f", "raw", "-c", "write -P 0xa5 0 4M", "-c", "write -P 0x5a 32M 1M",
                    "-c", "flush", a.exportUri(RESOURCE)));
            expectOk(a.hastctl("role", "secondary", RESOURCE));
            expectOk(b.hastctl("role", "primary", RESOURCE));
            HastCluster.awaitStatus(b, RESOURCE, "complete", 60_000);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!Files.exists(b.exportSocket(RESOURCE)) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            Processes.Result read = expectOk(run("qemu-io", "-f", "raw", "-c", "read -P 0xa5 0 4M",
                    "-c", "read -P 0x5a 32M 1M", b.exportUri(RESOURCE)));
            assertFalse(read.stdout().contains("verification failed"), read.toString());
            cluster.close();
            // Passed: the node directories (logs, written disk images) are of no more use.
            deleteTree(cluster.dir());
        }
    }

    /** Every file the package owned is gone, and so is what its scripts made. */
    private static void checkNothingLeft(List<String> owned) throws Exception {
        assertFalse(run("dpkg-query", "-W", "hast").exitCode() == 0, "dpkg still knows hast after purge");
        List<String> left = new ArrayList<>();
        for (String path : owned) {
            Path file = Path.of(path);
            // Directories (followed: /lib is a link on merged-/usr systems) are shared with others.
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(file)) {
                left.add(path);
            }
        }
        for (String path : List.of("/usr/share/hast", "/usr/lib/hast", "/usr/share/doc/hast", "/var/cache/hast",
                "/etc/hast.conf", "/usr/lib/ocf/resource.d/hast")) {
            if (Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
                left.add(path);
            }
        }
        Path dshState = Path.of("/var/lib/systemd/deb-systemd-helper-enabled");
        if (Files.isDirectory(dshState)) {
            try (Stream<Path> files = Files.walk(dshState)) {
                files.filter(f -> f.getFileName().toString().contains("hast")).forEach(f -> left.add(f.toString()));
            }
        }
        assertEquals(List.of(), left, "left behind by apt-get purge hast");
    }

    /** Wall time per phase of the test, e.g. {@code package 3.1 s, install 20.4 s}. */
    private static final class Phases {
        private final StringBuilder text = new StringBuilder();
        private long start = System.nanoTime();

        void done(String phase) {
            long now = System.nanoTime();
            text.append(text.length() == 0 ? "" : ", ").append(phase)
                    .append(String.format(" %.1f s", (now - start) / 1e9));
            start = now;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    private static Processes.Result run(String... command) throws IOException, InterruptedException {
        return Processes.run(List.of(command), Map.of("DEBIAN_FRONTEND", "noninteractive"), LIMIT);
    }

    private static Processes.Result expectOk(Processes.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    private static String projectVersion() throws IOException {
        String pom = Files.readString(Requirements.projectRoot().resolve("pom.xml"));
        int artifact = pom.indexOf("<artifactId>hast-parent</artifactId>");
        int start = pom.indexOf("<version>", artifact) + "<version>".length();
        return pom.substring(start, pom.indexOf("</version>", start));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(file);
            }
        }
    }
}
