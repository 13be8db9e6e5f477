package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An nbdkit on a Unix socket, standing in for the primary worker's NBD export. Runs in the
 * foreground as our child and with {@code --exit-with-parent}, so it never outlives the test
 * JVM. Stopped and killed only through its own PID.
 */
final class NbdkitServer implements AutoCloseable {
    private final Process process;
    final Path socket;
    private boolean stopped;

    private NbdkitServer(Process process, Path socket) {
        this.process = process;
        this.socket = socket;
    }

    /** {@code nbdkit --unix SOCKET --foreground --exit-with-parent -P PID PLUGIN ARGS...}. */
    static NbdkitServer start(Path dir, String... pluginAndArgs) throws IOException, InterruptedException {
        Path socket = dir.resolve("nbd.sock");
        Path pidFile = dir.resolve("nbdkit.pid");
        Files.deleteIfExists(pidFile);
        Files.deleteIfExists(socket); // a killed predecessor leaves its socket behind
        List<String> argv = new ArrayList<>(List.of("nbdkit", "--unix", socket.toString(), "--foreground",
                "--exit-with-parent", "-P", pidFile.toString()));
        argv.addAll(List.of(pluginAndArgs));
        Process process = new ProcessBuilder(argv)
                .redirectOutput(dir.resolve("nbdkit.log").toFile())
                .redirectErrorStream(true)
                .start();
        NbdkitServer server = new NbdkitServer(process, socket);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // nbdkit writes its pid file once it listens.
        while (!(Files.isRegularFile(pidFile) && Files.size(pidFile) > 0)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IOException("nbdkit did not start: " + Files.readString(dir.resolve("nbdkit.log")));
            }
            Thread.sleep(10);
        }
        return server;
    }

    long pid() {
        return process.pid();
    }

    /** SIGSTOP: the server hangs, requests wait for ever (the case FUSE cannot time out). */
    void pause() throws IOException {
        signal("-STOP");
        stopped = true;
    }

    void resume() throws IOException {
        if (stopped) {
            signal("-CONT");
            stopped = false;
        }
    }

    /** SIGKILL, as when the worker serving the export dies. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        stopped = false;
    }

    private void signal(String signal) throws IOException {
        ToolRunner.check(5_000, List.of("kill", signal, Long.toString(process.pid())));
    }

    @Override
    public void close() throws IOException {
        if (!process.isAlive()) {
            return;
        }
        resume();
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
