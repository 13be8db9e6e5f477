package org.hast.it.failover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.hast.testing.HastNode;
import org.hast.testing.Requirements;

/**
 * One real keepalived (VRRP only, foreground) beside one {@link HastNode}, in that node's
 * network namespace. It is entered with {@code nsenter --net} only, not {@code ip netns exec}:
 * the latter also gives the process a mount namespace of its own, and the file system that
 * hast-failover mounts from keepalived's notify scripts must be visible to the test.
 * Its notify scripts call the checkout's {@code packaging/hast-failover} as this node, with the
 * node's own hast.conf, devdir, failover.conf, lock and log file.
 */
final class KeepalivedNode implements AutoCloseable {
    private final HastNode node;
    private final Path conf;
    private final Path mountpoint;
    private Process process;

    /**
     * Writes the node's failover.conf ({@code resource mountpoint ext4}), the notify wrapper and
     * keepalived.conf. Both nodes are {@code state BACKUP} with {@code nopreempt}: a node that
     * comes back must not take the primary role back (that would be a second, needless switch
     * and would promote a node still to be synchronised). {@code failoverTimeout} is the
     * script's {@code HAST_FAILOVER_TIMEOUT} in seconds.
     */
    KeepalivedNode(HastNode node, String resource, String iface, String vip, int priority, String advert,
            int failoverTimeout) throws IOException {
        this.node = node;
        this.mountpoint = node.dir().resolve("mnt");
        Path failoverConf = node.dir().resolve("failover.conf");
        Files.writeString(failoverConf, resource + " " + mountpoint + " ext4\n");
        Path root = Requirements.projectRoot();
        Path wrapper = node.dir().resolve("notify.sh");
        Files.writeString(wrapper, String.join("\n",
                "#!/bin/sh",
                "# keepalived runs its scripts with a minimal environment: set this node's here",
                "export PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "export JAVA_HOME='" + System.getProperty("java.home") + "'",
                "export HASTCTL='" + root.resolve("bin/hastctl") + "'",
                "export HAST_CONF='" + node.config() + "'",
                "export HAST_NODE='" + node.name() + "'",
                "export HAST_DEVDIR='" + node.devdir() + "'",
                "export HAST_FAILOVER_CONF='" + failoverConf + "'",
                "export HAST_FAILOVER_LOG='" + log() + "'",
                "export HAST_FAILOVER_LOCK='" + node.dir().resolve("failover.lock") + "'",
                "export HAST_FAILOVER_TIMEOUT=" + failoverTimeout,
                "exec /bin/sh '" + root.resolve("packaging/hast-failover") + "' \"$@\"", ""));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        conf = node.dir().resolve("keepalived.conf");
        Files.writeString(conf, """
                global_defs {
                    router_id hast%1$s
                    enable_script_security
                    script_user root
                    vrrp_version 3
                }
                vrrp_instance hast {
                    state BACKUP
                    nopreempt
                    interface %2$s
                    virtual_router_id 51
                    priority %3$d
                    advert_int %4$s
                    virtual_ipaddress {
                        %5$s
                    }
                    notify_master "%6$s master"
                    notify_backup "%6$s backup"
                    notify_fault "%6$s fault"
                    notify_stop "%6$s stop"
                }
                """.formatted(node.name(), iface, priority, advert, vip, wrapper));
    }

    Path mountpoint() {
        return mountpoint;
    }

    /** hast-failover's log of this node: one line per step, with an epoch timestamp. */
    Path log() {
        return node.dir().resolve("failover.log");
    }

    String logText() throws IOException {
        return Files.exists(log()) ? Files.readString(log()) : "";
    }

    void start(String namespace) throws IOException {
        Path dir = node.dir();
        List<String> command = List.of("nsenter", "--net=/run/netns/" + namespace, "keepalived",
                "-n", "-l", "-D", "-G", "-P", "-f", conf.toString(),
                "-p", dir.resolve("keepalived.pid").toString(), "-r", dir.resolve("keepalived-vrrp.pid").toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("keepalived.log").toFile()));
        process = builder.start();
    }

    /** The keepalived processes we started: nsenter execs keepalived, which forks its VRRP child. */
    private List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null && process.isAlive()) {
            all.add(process.toHandle());
            process.descendants().filter(p -> p.info().command().orElse("").endsWith("keepalived"))
                    .forEach(all::add);
        }
        return all;
    }

    /**
     * A crash: both processes are frozen first, so the VRRP child cannot notice its parent's
     * death and leave gracefully (a priority-0 advert), then killed.
     */
    void crash() throws InterruptedException {
        List<ProcessHandle> all = processes();
        signal(all, "STOP");
        all.forEach(ProcessHandle::destroyForcibly);
        awaitExit(all);
    }

    /** A planned stop: SIGTERM to the parent, which stops its child and runs notify_stop. */
    void terminate() throws InterruptedException {
        List<ProcessHandle> all = processes();
        if (process != null) {
            process.destroy();
        }
        awaitExit(all);
    }

    private static void signal(List<ProcessHandle> all, String signal) throws InterruptedException {
        for (ProcessHandle p : all) {
            try {
                org.hast.testing.Processes.run(List.of("kill", "-" + signal, Long.toString(p.pid())), Map.of(),
                        java.time.Duration.ofSeconds(10));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void awaitExit(List<ProcessHandle> all) {
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> all = processes();
        all.forEach(ProcessHandle::destroyForcibly);
        awaitExit(all);
    }
}
