package org.hast.it.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.hast.testing.Processes;
import org.hast.testing.Requirements;

/**
 * A local component that fails on demand (issue #10 (d)): {@code nbdkit} serves an image file
 * through its {@code error} filter (every request fails with EIO while the trigger file
 * exists), {@code nbdfuse} turns that export into a file, and a loop device over the file is
 * what hast.conf names. {@link #close} detaches the loop device, unmounts the FUSE file and
 * stops both programs (by the PIDs started here), in that order.
 */
final class FaultyDisk implements AutoCloseable {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private final Path dir;
    private final Path trigger;
    private final Path mountpoint;
    private Path socket;
    private Process nbdkit;
    private Process nbdfuse;
    private String loop;

    private FaultyDisk(Path dir) {
        this.dir = dir;
        this.trigger = dir.resolve("inject-errors");
        this.mountpoint = dir.resolve("fuse");
    }

    static void require() {
        Requirements.requireRoot();
        Requirements.require(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
        Requirements.requireTool("nbdkit", "nbdkit");
        Requirements.requireTool("nbdfuse", "nbdfuse");
        Requirements.requireTool("losetup", "util-linux");
        Requirements.requireTool("blockdev", "util-linux");
        Requirements.requireTool("fusermount3", "fuse3");
    }

    /** Serves {@code image} with errors off; {@link #device()} is the loop device to use. */
    static FaultyDisk start(Path image, Path dir) throws IOException, InterruptedException {
        FaultyDisk disk = new FaultyDisk(Files.createDirectories(dir));
        try {
            disk.open(image);
            return disk;
        } catch (IOException | RuntimeException e) {
            disk.close();
            throw e;
        }
    }

    private void open(Path image) throws IOException, InterruptedException {
        // Unix socket paths are short: keep it in /tmp, named after our PID.
        socket = Path.of("/tmp", "hastf-nbdkit-" + ProcessHandle.current().pid() + "-" + System.nanoTime()
                + ".sock");
        nbdkit = new ProcessBuilder("nbdkit", "-f", "--exit-with-parent", "-U", socket.toString(),
                "--filter=error", "file", image.toString(), "error=EIO", "error-rate=100%",
                "error-file=" + trigger)
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit.log").toFile()).start();
        awaitPath(socket, nbdkit, "nbdkit socket");
        Files.createDirectories(mountpoint);
        nbdfuse = new ProcessBuilder("nbdfuse", mountpoint.resolve("disk").toString(), "--unix", socket.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile()).start();
        awaitPath(mountpoint.resolve("disk"), nbdfuse, "nbdfuse file");
        Processes.Result r = Processes.run(List.of("losetup", "--find", "--show", mountpoint.resolve("disk").toString()),
                Map.of(), LIMIT);
        if (r.exitCode() != 0) {
            throw new IOException("losetup: " + r);
        }
        loop = r.stdout().trim();
    }

    private static void awaitPath(Path path, Process process, String what) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!Files.exists(path)) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                throw new IOException(what + " " + path + " never appeared");
            }
            Thread.sleep(50);
        }
    }

    Path device() {
        return Path.of(loop);
    }

    void errorsOn() throws IOException {
        Files.writeString(trigger, "");
    }

    void errorsOff() throws IOException {
        Files.deleteIfExists(trigger);
    }

    /**
     * Drops the loop device's page cache ({@code blockdev --flushbufs}), so the next reads reach
     * the faulty disk instead of being answered from memory.
     */
    void dropCache() throws IOException, InterruptedException {
        Processes.run(List.of("blockdev", "--flushbufs", loop), Map.of(), LIMIT);
    }

    @Override
    public void close() throws InterruptedException {
        try {
            Files.deleteIfExists(trigger);
        } catch (IOException e) {
            // the loop device is detached below anyway
        }
        try {
            if (loop != null) {
                Processes.run(List.of("losetup", "-d", loop), Map.of(), LIMIT);
            }
            if (nbdfuse != null) {
                Processes.run(List.of("fusermount3", "-u", mountpoint.toString()), Map.of(), LIMIT);
                if (!nbdfuse.waitFor(10, TimeUnit.SECONDS)) {
                    nbdfuse.destroyForcibly();
                    Processes.run(List.of("umount", "-l", mountpoint.toString()), Map.of(), LIMIT);
                }
            }
        } catch (IOException e) {
            System.err.println("faulty disk cleanup: " + e);
        } finally {
            if (nbdkit != null) {
                nbdkit.destroy();
                if (!nbdkit.waitFor(10, TimeUnit.SECONDS)) {
                    nbdkit.destroyForcibly();
                }
            }
            if (socket != null) {
                try {
                    Files.deleteIfExists(socket); // nbdkit leaves it behind when signalled
                } catch (IOException e) {
                    System.err.println("faulty disk cleanup: " + e);
                }
            }
        }
    }
}
