package org.hast.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hast.testing.Processes;

/**
 * corosync + pacemakerd of one cluster node, in the node's network namespace and in a private
 * mount namespace of their own: Pacemaker's state directories, /run and the OCF agent
 * directory are bind mounts there, so nothing is written to the machine's own directories and
 * {@code ocf:hast:hast} is found without installing it.
 */
final class PacemakerNode implements AutoCloseable {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** Writes pid files, mounts, starts corosync, waits for it, starts pacemakerd, waits. */
    private static final String WRAPPER = """
            set -e; d=$1; agent=$2
            for dir in lib-pacemaker lib-corosync log-pacemaker; do mkdir -p "$d/$dir"; done
            cp -a /var/lib/pacemaker/. "$d/lib-pacemaker/"; cp -a /var/lib/corosync/. "$d/lib-corosync/"
            cp -a /var/log/pacemaker/. "$d/log-pacemaker/"
            if [ -f "$d/cib-seed.xml" ] && [ ! -f "$d/lib-pacemaker/cib/cib.xml" ]; then
                install -o hacluster -g haclient -m 600 "$d/cib-seed.xml" "$d/lib-pacemaker/cib/cib.xml"
            fi
            mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
            mount --bind "$d/lib-corosync" /var/lib/corosync
            mount --bind "$d/log-pacemaker" /var/log/pacemaker
            mount -t tmpfs -o mode=755 tmpfs /run
            mkdir -p /run/crm /run/pacemaker; chown hacluster:haclient /run/crm /run/pacemaker
            mkdir -p "$d/ocf/hast" "$d/ocf/heartbeat" "$d/ocf/pacemaker"
            cp "$agent" "$d/ocf/hast/hast"; chmod 755 "$d/ocf/hast/hast"
            mount --bind /usr/lib/ocf/resource.d/heartbeat "$d/ocf/heartbeat"
            mount --bind /usr/lib/ocf/resource.d/pacemaker "$d/ocf/pacemaker"
            mount --rbind "$d/ocf" /usr/lib/ocf/resource.d
            corosync -f -c "$d/corosync.conf" >"$d/corosync.out" 2>&1 & echo $! >"$d/corosync.pid"
            for i in $(seq 1 100); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 0.1; done
            PCMK_logfile="$d/pacemaker.log" pacemakerd >"$d/pacemakerd.out" 2>&1 & echo $! >"$d/pacemakerd.pid"
            wait
            """;

    private final String uname;
    private final String namespace;
    private final Path dir;
    private Process wrapper;
    private long corosyncPid;
    private long pacemakerdPid;

    PacemakerNode(String uname, String namespace, Path dir) {
        this.uname = uname;
        this.namespace = namespace;
        this.dir = dir;
    }

    String uname() {
        return uname;
    }

    /** Writes corosync.conf (knet, two_node, 1 s token) for the two {@code addresses}. */
    void writeCorosyncConf(List<String> unames, List<String> addresses) throws IOException {
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < unames.size(); i++) {
            nodes.append("  node {\n    ring0_addr: ").append(addresses.get(i)).append("\n    name: ")
                    .append(unames.get(i)).append("\n    nodeid: ").append(i + 1).append("\n  }\n");
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("corosync.conf"), "totem {\n  version: 2\n  cluster_name: hastit\n"
                + "  transport: knet\n  crypto_cipher: none\n  crypto_hash: none\n  token: 1000\n}\n"
                + "nodelist {\n" + nodes + "}\n"
                + "quorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\n"
                + "logging {\n  to_logfile: yes\n  logfile: " + dir.resolve("corosync.log")
                + "\n  to_syslog: no\n  to_stderr: no\n  timestamp: on\n}\n");
    }

    /**
     * The CIB this node starts with the first time: cluster options that must hold from the
     * start (a short {@code dc-deadtime} saves the 20 s election wait of a fresh two-node start).
     */
    void seedCib(String clusterOptions, String resourceDefaults) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cib-seed.xml"), "<cib validate-with=\"pacemaker-3.9\" epoch=\"1\" "
                + "num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config>"
                + "<cluster_property_set id=\"cib-bootstrap-options\">" + clusterOptions
                + "</cluster_property_set></crm_config><nodes/><resources/><constraints/><rsc_defaults>"
                + "<meta_attributes id=\"rsc-options\">" + resourceDefaults + "</meta_attributes></rsc_defaults>"
                + "</configuration><status/></cib>\n");
    }

    /** pacemakerd's PID: {@code /proc/<pid>/root} sees this node's private mounts. */
    long pid() {
        return pacemakerdPid;
    }

    /** {@code path} as seen from this node's mount namespace (where its Filesystem mounts). */
    Path inside(Path path) {
        return Path.of("/proc/" + pacemakerdPid + "/root" + path.toAbsolutePath());
    }

    /** Whether {@code mountpoint} is mounted in this node's mount namespace (false once it is gone). */
    boolean mounted(Path mountpoint) {
        try {
            String needle = " " + mountpoint.toAbsolutePath() + " ";
            return Files.readString(Path.of("/proc/" + pacemakerdPid + "/mounts")).contains(needle);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Unmounts {@code mountpoint} in this node's mount namespace. Before the node is ended: a
     * namespace that dies with the file system mounted leaves hastd's loop device bound to a
     * FUSE file that is gone.
     */
    void unmount(Path mountpoint) throws IOException, InterruptedException {
        if (mounted(mountpoint)) {
            Processes.run(List.of("nsenter", "-t", Long.toString(pacemakerdPid), "-m", "umount",
                    mountpoint.toString()), Map.of(), LIMIT);
        }
    }

    /** Pacemaker's detail log of this node. */
    Path log() {
        return dir.resolve("pacemaker.log");
    }

    void start(Path agent) throws IOException, InterruptedException {
        Files.deleteIfExists(dir.resolve("corosync.pid"));
        Files.deleteIfExists(dir.resolve("pacemakerd.pid"));
        wrapper = new ProcessBuilder("ip", "netns", "exec", namespace, "unshare", "-m", "--propagation", "private",
                "bash", "-c", WRAPPER, "_", dir.toString(), agent.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("wrapper.out").toFile()))
                .start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.exists(dir.resolve("pacemakerd.pid")) || Files.size(dir.resolve("pacemakerd.pid")) == 0) {
            if (System.currentTimeMillis() > deadline || !wrapper.isAlive()) {
                throw new IOException(uname + ": pacemakerd did not start: " + Files.readString(
                        dir.resolve("wrapper.out")));
            }
            Thread.sleep(50);
        }
        corosyncPid = Long.parseLong(Files.readString(dir.resolve("corosync.pid")).strip());
        pacemakerdPid = Long.parseLong(Files.readString(dir.resolve("pacemakerd.pid")).strip());
    }

    boolean running() {
        return ProcessHandle.of(pacemakerdPid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** A Pacemaker command line tool, run in this node's network namespace. */
    Processes.Result tool(String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        command.addAll(List.of(argv));
        return Processes.run(command, Map.of(), LIMIT);
    }

    Processes.Result expectTool(String... argv) throws IOException, InterruptedException {
        Processes.Result result = tool(argv);
        if (result.exitCode() != 0) {
            throw new IOException(uname + ": " + String.join(" ", argv) + ": " + result);
        }
        return result;
    }

    /** SIGSTOP then SIGKILL to corosync and pacemakerd at once: the node is gone for its peer. */
    void crash() throws IOException, InterruptedException {
        signal("STOP", corosyncPid, pacemakerdPid);
        signal("KILL", corosyncPid, pacemakerdPid);
    }

    /** Graceful stop: pacemakerd (it stops its resources first), then corosync. */
    void stop() throws IOException, InterruptedException {
        for (long pid : new long[] {pacemakerdPid, corosyncPid}) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroy();
                p.onExit().orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> p).join();
            });
        }
    }

    private static void signal(String signal, long... pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        for (long pid : pids) {
            command.add(Long.toString(pid));
        }
        Processes.run(command, Map.of(), LIMIT);
    }

    /** Ends whatever still runs in the namespace (Pacemaker's daemons, which we started). */
    void endLeftovers() throws IOException, InterruptedException {
        for (String signal : new String[] {"TERM", "KILL"}) {
            for (int i = 0; i < 40; i++) {
                String pids = Processes.run(List.of("ip", "netns", "pids", namespace), Map.of(), LIMIT).stdout().strip();
                if (pids.isEmpty()) {
                    break;
                }
                if (i == 0) {
                    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
                    command.addAll(List.of(pids.split("\\s+")));
                    Processes.run(command, Map.of(), LIMIT);
                }
                Thread.sleep(50);
            }
        }
        if (wrapper != null) {
            wrapper.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        // libqb's shared memory files of a killed corosync stay in /dev/shm otherwise.
        Processes.run(List.of("sh", "-c", "rm -rf /dev/shm/qb-" + corosyncPid + "-* /dev/shm/qb-corosync-"
                + corosyncPid + "-*"), Map.of(), LIMIT);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (wrapper == null) {
            return;
        }
        if (running()) {
            stop();
        }
        endLeftovers();
    }
}
