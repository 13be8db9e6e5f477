package org.hast.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real hastd node for integration tests: its own HAST_NODE name, directory, control socket,
 * pidfile and listen port, started with {@code bin/hastd -F} and driven with {@code bin/hastctl}.
 * The directory (with {@code hastd.log}) is left in place so a failed test can be debugged.
 * Only the processes this class started are ever signalled.
 */
public final class HastNode implements AutoCloseable {
    private static final Duration HASTCTL_LIMIT = Duration.ofSeconds(60);
    /**
     * A primary retries a lost link every 10 s (HAST_KEEPALIVE); tests that cut links and restart
     * nodes spent minutes waiting for that tick (issue #15: CI time), so their nodes retry every
     * 2 s. {@code HAST_RECONNECT_SECONDS=10} in the test's own environment restores the
     * reference period (the long form).
     */
    private static final String RECONNECT_VARIABLE = "HAST_RECONNECT_SECONDS";
    private static final String TEST_RECONNECT_SECONDS = "2";
    /**
     * A secondary gives a silent link up after two keepalive periods (2 x 10 s); tests that cut
     * links or hold an idle one waited those 20 s, so their nodes send keepalives every 3 s and
     * give up after 6 s. {@code HAST_KEEPALIVE_SECONDS=10} in the test's own environment
     * restores the reference period (the long form).
     */
    private static final String KEEPALIVE_VARIABLE = "HAST_KEEPALIVE_SECONDS";
    private static final String TEST_KEEPALIVE_SECONDS = "3";

    private final String name;
    private final Path dir;
    private final int port;
    private final Path socketDir;
    private Path config;
    private Process process;
    /** Where this node listens and its peer connects; loopback unless the node is in a namespace. */
    private String address = "127.0.0.1";
    /** Prepended to the hastd command line, e.g. {@code ip netns exec <ns>}; empty by default. */
    private List<String> launcher = List.of();
    /** Added to hastd's environment (and so its workers'), e.g. a test agent in JAVA_TOOL_OPTIONS. */
    private final Map<String, String> environment = new java.util.HashMap<>();

    /** Where the hastd and hastctl launchers are; null: the checkout's bin/. */
    private Path programs;
    /** Local components that are not this node's sparse image, e.g. a loop device. */
    private final Map<String, Path> localOverrides = new java.util.HashMap<>();

    HastNode(String name, Path dir, int port, Path socketDir) throws IOException {
        this.name = name;
        this.dir = Files.createDirectories(dir);
        this.port = port;
        this.socketDir = socketDir;
        environment.put(RECONNECT_VARIABLE, System.getenv().getOrDefault(RECONNECT_VARIABLE, TEST_RECONNECT_SECONDS));
        environment.put(KEEPALIVE_VARIABLE, String.valueOf(keepaliveSeconds()));
    }

    /** The nodes' keepalive period in seconds; a secondary drops a link silent for twice as long. */
    public static int keepaliveSeconds() {
        return Integer.parseInt(System.getenv().getOrDefault(KEEPALIVE_VARIABLE, TEST_KEEPALIVE_SECONDS).trim());
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public int port() {
        return port;
    }

    /** The IPv4 address hastd listens on ({@code 127.0.0.1}, or 10.x inside a namespace). */
    public String address() {
        return address;
    }

    /** Runs hastd with {@code prefix} in front (see {@link HastCluster#createInNamespaces}). */
    void runInside(String nodeAddress, List<String> prefix) {
        this.address = nodeAddress;
        this.launcher = List.copyOf(prefix);
    }

    /**
     * Runs hastd through {@code prefix} from the next {@link #start}, e.g. a shell that ignores
     * some signals and then execs the rest of its arguments.
     */
    public void wrapWith(List<String> prefix) {
        this.launcher = List.copyOf(prefix);
    }

    /** Sets {@code name} in the environment of the next {@link #start}. */
    public void putEnvironment(String name, String value) {
        environment.put(name, value);
    }

    /** Runs hastd and hastctl from {@code dir} (e.g. an installed package's /usr/sbin). */
    void useProgramsIn(Path dir) {
        this.programs = dir;
    }

    private String program(String name) {
        return (programs != null ? programs : Requirements.projectRoot().resolve("bin")).resolve(name).toString();
    }

    public Path controlSocket() {
        // Unix socket paths are limited to 107 bytes: keep them out of the deep build tree.
        return socketDir.resolve(name + ".sock");
    }

    public Path pidfile() {
        return dir.resolve("hastd.pid");
    }

    public Path log() {
        return dir.resolve("hastd.log");
    }

    /** This node's {@code statedir}: its A10 state files (its own, not /var/lib/hast). */
    public Path statedir() {
        return dir.resolve("state");
    }

    /** Where this node's primary puts {@code <name>} devices (its own, not /dev/hast). */
    public Path devdir() {
        return dir.resolve("dev");
    }

    /** The NBD export the primary serves for {@code resource} (the config's {@code export}). */
    public Path exportSocket(String resource) {
        return socketDir.resolve(name + "-" + resource + ".nbd");
    }

    /** An NBD URI for {@code nbdinfo}, {@code nbdcopy}, {@code qemu-io} and fio's nbd engine. */
    public String exportUri(String resource) {
        return "nbd+unix:///" + resource + "?socket=" + exportSocket(resource);
    }

    /** Where the data area of {@code resource}'s local component starts (metadata localoff). */
    public long localOffset(String resource) throws IOException {
        java.nio.ByteBuffer area = java.nio.ByteBuffer.allocate(org.hast.meta.MetadataCodec.METADATA_SIZE);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(local(resource))) {
            while (area.hasRemaining() && ch.read(area, area.position()) > 0) {
                // read the whole area
            }
        }
        area.flip();
        try {
            return org.hast.meta.MetadataCodec.decode(area, resource, local(resource).toString()).localOff();
        } catch (org.hast.meta.MetadataException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The sparse image {@link HastCluster#createDisks} makes for {@code resource} on this node. */
    public Path disk(String resource) {
        return dir.resolve(resource + ".img");
    }

    /**
     * Makes {@code path} (a loop device over a fault-injecting nbdkit, say) the local component
     * of {@code resource} in the config written next; {@link #disk} keeps naming the image.
     */
    public void setLocal(String resource, Path path) {
        localOverrides.put(resource, path);
    }

    /** The local component hast.conf names for {@code resource}: the override or the image. */
    public Path local(String resource) {
        return localOverrides.getOrDefault(resource, disk(resource));
    }

    public Path config() {
        return config;
    }

    public void setConfig(Path config) {
        this.config = config;
    }

    /** The {@code on <node>} block every cluster config gives this node. */
    String nodeSection() {
        return "on " + name + " {\n\tcontrol uds://" + controlSocket() + "\n\tpidfile " + pidfile()
                + "\n\tlisten tcp4://" + address + ":" + port + "\n\tdevdir " + devdir() + "\n\tstatedir "
                + statedir() + "\n}\n";
    }

    /** Starts {@code hastd -F -d} and waits until its control socket answers. */
    public void start(String... extraArgs) throws IOException, InterruptedException {
        awaitStarted(launch(extraArgs));
    }

    /**
     * Starts {@code hastd -F -d} without waiting; {@link #awaitStarted} with the returned mark
     * waits, so that several nodes start at the same time.
     */
    int launch(String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(
                program("hastd"), "-F", "-d", "-c", config.toString()));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.environment().put("HAST_NODE", name);
        builder.redirectErrorStream(true);
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // A restarted node appends to its log: only this run's start-up line counts.
        int logBefore = logText().length();
        process = builder.start();
        return logBefore;
    }

    /** Waits until the hastd started by {@link #launch} answers on its control socket. */
    void awaitStarted(int logBefore) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(name + ": hastd exited " + process.exitValue() + ":\n" + logText());
            }
            // The control socket is bound before the listen sockets: wait for the start-up line too.
            if (controlAnswers() && logText().indexOf("Started successfully", logBefore) >= 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IOException(name + ": hastd did not open its control socket:\n" + logText());
    }

    private boolean controlAnswers() {
        if (!Files.exists(controlSocket())) {
            return false;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(controlSocket()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log()) : "";
        } catch (IOException e) {
            return "<unreadable log: " + e + ">";
        }
    }

    /** Runs {@code hastctl <command> -c <config> <args>} as this node. */
    public Processes.Result hastctl(String command, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(
                program("hastctl"), command, "-c", config.toString()));
        argv.addAll(List.of(args));
        return Processes.run(argv, Map.of("HAST_NODE", name), HASTCTL_LIMIT);
    }

    /**
     * Starts {@code hastctl <command> -c <config> <args>} as this node without waiting for it
     * (e.g. {@code events}); its standard output goes to {@code output}. The caller ends it.
     */
    public Process startHastctl(Path output, String command, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(program("hastctl"), command, "-c", config.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().put("HAST_NODE", name);
        builder.redirectOutput(output.toFile());
        builder.redirectError(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return builder.start();
    }

    /** Sends a signal to the hastd main process (by its PID, which we started). */
    public void signal(String signal) throws IOException, InterruptedException {
        Processes.run(List.of("kill", "-" + signal, Long.toString(process.pid())), Map.of(), HASTCTL_LIMIT);
    }

    /** The worker processes of this node's hastd (its direct children). */
    public List<ProcessHandle> workers() {
        return process == null ? List.of() : process.children()
                .filter(p -> p.info().commandLine().orElse("").contains("org.hast.worker.WorkerMain"))
                .toList();
    }

    /**
     * Crashes the node: SIGKILL to its workers and its main process at once (PIDs we started or
     * their children), then waits for all of them to be gone. No-op when not running.
     */
    public void kill() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = workers();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        process.waitFor();
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException(name + ": worker " + child.pid() + " survived SIGKILL", e);
            }
        }
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** SIGTERM, then SIGKILL after 30 s; waits for the exit. */
    public int stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        List<ProcessHandle> children = workers();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        for (ProcessHandle child : children) {
            child.destroyForcibly();
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
