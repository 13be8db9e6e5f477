package org.hast.device.nbd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.hast.block.BlockBackend;
import org.hast.device.KernelNbdBridge;

import io.netty.buffer.ByteBuf;

/**
 * Runs inside the qemu guest of {@code KernelNbdQemuTest} (a real kernel with nbd.ko): serves a
 * file-backed backend through {@link KernelNbdBridge} and reports on the console, one
 * {@code HASTQ <key> <value>} line per fact, for the host to parse.
 *
 * <ol>
 * <li>attach, run the I/O script on {@code <devdir>/<name>} (mkfs.ext4, mount, write, read back
 *     with cold caches, fsck), detach; check the device is free again and fsck the backing file;</li>
 * <li>attach with reads stalled, start a direct read that hangs, {@link KernelNbdBridge#abort()}:
 *     the read must fail with EIO promptly;</li>
 * <li>attach, then {@link KernelNbdBridge#cleanupStale} as a restarted worker would: the device
 *     must be disconnected under the bridge, which then detaches cleanly;</li>
 * <li>a worker in another JVM attaches, ext4 is made and mounted on its device and fio writes
 *     with verification; the worker is killed with SIGKILL and a successor attaches: it must
 *     take the same device over, fio must succeed and e2fsck be clean.</li>
 * </ol>
 *
 * <p>The first step uses the ioctls (the fallback), the others the netlink interface.
 *
 * <p>Arguments: backing-file size-bytes devdir name io-script.
 */
public final class KernelNbdGuestMain {
    private static final List<String> FAILURES = new ArrayList<>();

    private KernelNbdGuestMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("child")) {
            child(args);
            return;
        }
        report("JVM-UP", uptime());
        Path backing = Paths.get(args[0]);
        long size = Long.parseLong(args[1]);
        Path devdir = Paths.get(args[2]);
        String name = args[3];
        Path script = Paths.get(args[4]);
        try {
            filesystemRoundTrip(backing, size, devdir, name, script);
            abortFailsHungIo(backing, size, devdir, name);
            cleanupStaleTakesOver(backing, size, devdir, name);
            crashedWorkerIsTakenOver(backing, size, devdir, name);
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            FAILURES.add("exception: " + e);
        }
        report("MAIN-RESULT", FAILURES.isEmpty() ? "PASS" : "FAIL " + String.join("; ", FAILURES));
        System.out.flush();
        System.exit(FAILURES.isEmpty() ? 0 : 1);
    }

    private static void filesystemRoundTrip(Path backing, long size, Path devdir, String name, Path script)
            throws Exception {
        try (FileBackend backend = new FileBackend(backing, size, false, 512)) {
            KernelNbdBridge bridge = new KernelNbdBridge(devdir, KernelNbdBridge.DEFAULT_TIMEOUT_SECONDS,
                    KernelNbdBridge.DEFAULT_DEAD_CONNECTION_SECONDS, false);
            long t0 = System.nanoTime();
            bridge.attach(name, backend, name);
            report("ATTACHED", bridge.devicePath() + " -> " + Files.readSymbolicLink(bridge.devicePath()) + " ms="
                    + millisSince(t0));
            Path nbd = bridge.nbdDevice();
            String index = nbd.getFileName().toString();
            report("SYSFS", index + " size=" + sysfs(index, "size") + " pid=" + sysfs(index, "pid")
                    + " max_sectors_kb=" + sysfs(index, "queue/max_sectors_kb"));
            long t1 = System.nanoTime();
            Process io = new ProcessBuilder("/bin/sh", script.toString(), bridge.devicePath().toString())
                    .inheritIO().start();
            if (!io.waitFor(240, TimeUnit.SECONDS)) {
                io.destroyForcibly();
                FAILURES.add("io script timed out");
            } else if (io.exitValue() != 0) {
                FAILURES.add("io script exited " + io.exitValue());
            }
            report("IO-SCRIPT", "exit=" + (io.isAlive() ? "timeout" : io.exitValue()) + " ms=" + millisSince(t1));
            report("BACKEND-CALLS", backend.calls.get() + " flushes=" + backend.flushes.get() + " fua="
                    + backend.fuaWrites.get());
            long t2 = System.nanoTime();
            bridge.detach();
            report("DETACHED", "ms=" + millisSince(t2));
            check(!Files.exists(devdir.resolve(name), LinkOption.NOFOLLOW_LINKS), "symlink still there after detach");
            check("0".equals(sysfs(index, "size")), "size after detach is " + sysfs(index, "size"));
            check("-".equals(sysfs(index, "pid")), "pid file after detach: " + sysfs(index, "pid"));
            report("AFTER-DETACH", index + " size=" + sysfs(index, "size") + " pid=" + sysfs(index, "pid"));
        }
        // The data must be in the backing file itself, not only in some cache.
        Process fsck = new ProcessBuilder("e2fsck", "-fn", backing.toString()).redirectErrorStream(true).start();
        String out = new String(fsck.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        fsck.waitFor(60, TimeUnit.SECONDS);
        check(fsck.exitValue() == 0, "fsck of the backing file exited " + fsck.exitValue() + ": " + out);
        report("BACKING-FSCK", "exit=" + fsck.exitValue() + " " + out.strip().replace('\n', '|'));
    }

    private static void abortFailsHungIo(Path backing, long size, Path devdir, String name) throws Exception {
        try (FileBackend file = new FileBackend(backing, size, false, 512)) {
            StallingBackend backend = new StallingBackend(file);
            KernelNbdBridge bridge = new KernelNbdBridge(devdir);
            bridge.attach(name, backend, name);
            // The first open after attach rescans partitions (a read); do it before stalling, so
            // that what hangs below is dd's own read and not its open.
            Process warmUp = new ProcessBuilder("dd", "if=" + bridge.devicePath(), "of=/dev/null", "bs=4096",
                    "count=1").redirectErrorStream(true).start();
            warmUp.getInputStream().readAllBytes();
            check(warmUp.waitFor(30, TimeUnit.SECONDS) && warmUp.exitValue() == 0, "warm-up read failed");
            backend.stall = true;
            Process dd = new ProcessBuilder("dd", "if=" + bridge.devicePath(), "of=/dev/null", "bs=4096",
                    "count=1", "skip=1000", "iflag=direct").redirectErrorStream(true).start();
            boolean hung = !dd.waitFor(3, TimeUnit.SECONDS);
            report("ABORT-DD-HUNG", hung + " stalled=" + backend.stalled);
            long t0 = System.nanoTime();
            bridge.abort();
            long abortMs = millisSince(t0);
            boolean ended = dd.waitFor(20, TimeUnit.SECONDS);
            String out = new String(dd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            report("ABORT", "abort_ms=" + abortMs + " dd_ended=" + ended + " dd_exit="
                    + (ended ? dd.exitValue() : "-") + " dd_ms=" + millisSince(t0) + " "
                    + out.strip().replace('\n', '|'));
            check(hung, "dd did not hang on the stalled backend");
            check(ended && dd.exitValue() != 0, "dd did not fail after abort");
            check(out.contains("Input/output error"), "dd did not report EIO: " + out);
            check(bridge.devicePath() == null && !Files.exists(devdir.resolve(name), LinkOption.NOFOLLOW_LINKS),
                    "abort left the symlink");
            if (!ended) {
                dd.destroyForcibly();
            }
        }
    }

    private static void cleanupStaleTakesOver(Path backing, long size, Path devdir, String name) throws Exception {
        try (FileBackend backend = new FileBackend(backing, size, false, 512)) {
            KernelNbdBridge old = new KernelNbdBridge(devdir);
            old.attach(name, backend, name);
            String index = old.nbdDevice().getFileName().toString();
            long t0 = System.nanoTime();
            KernelNbdBridge.cleanupStale(name, devdir);
            report("CLEANUP-STALE", "ms=" + millisSince(t0) + " link_left="
                    + Files.exists(devdir.resolve(name), LinkOption.NOFOLLOW_LINKS));
            check(!Files.exists(devdir.resolve(name), LinkOption.NOFOLLOW_LINKS), "cleanupStale left the symlink");
            long t1 = System.nanoTime();
            old.detach();
            report("OLD-DETACHED", "ms=" + millisSince(t1) + " " + index + " size=" + sysfs(index, "size"));
            KernelNbdBridge fresh = new KernelNbdBridge(devdir);
            fresh.attach(name, backend, name);
            report("REATTACHED", fresh.devicePath() + " -> " + Files.readSymbolicLink(fresh.devicePath()));
            fresh.detach();
        }
    }

    /** A worker that attaches and then waits to be killed. */
    private static void child(String[] args) throws Exception {
        FileBackend backend = new FileBackend(Paths.get(args[1]), Long.parseLong(args[2]), false, 512);
        KernelNbdBridge bridge = new KernelNbdBridge(Paths.get(args[3]));
        bridge.attach(args[4], backend, args[4]);
        System.out.println("CHILD-READY " + bridge.nbdDevice());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /**
     * A worker dies by SIGKILL under a mounted ext4 that fio is writing to (direct I/O, with
     * verification): a successor attaching for the same name must take the same device over
     * (NBD_CMD_RECONFIGURE), fio must see no error and verify every block it wrote, and the
     * file system must be clean.
     */
    private static void crashedWorkerIsTakenOver(Path backing, long size, Path devdir, String name) throws Exception {
        String javaBin = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=/tmp", "-cp", System.getProperty("java.class.path"),
                KernelNbdGuestMain.class.getName(), "child", backing.toString(), Long.toString(size),
                devdir.toString(), name).redirectErrorStream(true).start();
        long t0 = System.nanoTime();
        BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String device = null;
        for (String line; (line = out.readLine()) != null;) {
            if (line.startsWith("CHILD-READY ")) {
                device = line.substring(12).strip();
                break;
            }
        }
        if (device == null) {
            child.destroyForcibly();
            check(false, "child worker never attached");
            return;
        }
        String index = Paths.get(device).getFileName().toString();
        Path dev = devdir.resolve(name);
        report("CHILD-ATTACHED", device + " ms=" + millisSince(t0));
        check(run("mkfs.ext4", "-q", "-F", dev.toString()) == 0, "mkfs.ext4 failed");
        Files.createDirectories(Paths.get("/tmp/mnt"));
        check(run("mount", "-t", "ext4", dev.toString(), "/tmp/mnt") == 0, "mount failed");
        Process fio = new ProcessBuilder("fio", "--name=crash", "--directory=/tmp/mnt", "--size=32m", "--bs=16k",
                "--rw=randwrite", "--direct=1", "--ioengine=psync", "--verify=crc32c", "--verify_fatal=1",
                "--eta=never", "--output=/tmp/fio.out").redirectErrorStream(true)
                .redirectOutput(new java.io.File("/tmp/fio.err")).start();
        Thread.sleep(3000);
        check(fio.isAlive(), "fio finished before the kill");
        long t1 = System.nanoTime();
        child.destroyForcibly(); // SIGKILL: no detach, no cleanup
        child.waitFor(30, TimeUnit.SECONDS);
        report("CHILD-KILLED", index + " size=" + sysfs(index, "size") + " link=" + Files.isSymbolicLink(dev)
                + " fio_alive=" + fio.isAlive());
        try (FileBackend backend = new FileBackend(backing, size, false, 512)) {
            KernelNbdBridge successor = new KernelNbdBridge(devdir);
            successor.attach(name, backend, name);
            String taken = successor.nbdDevice().getFileName().toString();
            report("TAKEN-OVER", dev + " -> " + Files.readSymbolicLink(dev) + " ms_after_kill=" + millisSince(t1));
            check(taken.equals(index), "the successor did not take " + index + " over but got " + taken);
            boolean ended = fio.waitFor(300, TimeUnit.SECONDS);
            String fioOut = Files.exists(Paths.get("/tmp/fio.out")) ? Files.readString(Paths.get("/tmp/fio.out")) : "";
            String fioErr = Files.exists(Paths.get("/tmp/fio.err")) ? Files.readString(Paths.get("/tmp/fio.err")) : "";
            report("FIO", "ended=" + ended + " exit=" + (ended ? fio.exitValue() : "-") + " ms_after_kill="
                    + millisSince(t1) + " " + grepLines(fioOut + fioErr, "err=", "verify", "error", "WRITE:", "READ:"));
            check(ended && fio.exitValue() == 0, "fio failed: " + (fioOut + fioErr).strip().replace('\n', '|'));
            // What the driver did with the requests in flight at the kill (requeued at their timeout).
            Process dmesg = new ProcessBuilder("dmesg").redirectErrorStream(true).start();
            String kernel = new String(dmesg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            dmesg.waitFor(10, TimeUnit.SECONDS);
            report("KERNEL", grepLines(kernel, "nbd"));
            if (!ended) {
                fio.destroyForcibly();
            }
            check(run("umount", "/tmp/mnt") == 0, "umount failed");
            Process fsck = new ProcessBuilder("e2fsck", "-fn", dev.toString()).redirectErrorStream(true).start();
            String fsckOut = new String(fsck.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            fsck.waitFor(120, TimeUnit.SECONDS);
            report("CRASH-FSCK", "exit=" + fsck.exitValue() + " " + fsckOut.strip().replace('\n', '|'));
            check(fsck.exitValue() == 0, "e2fsck after the take-over exited " + fsck.exitValue());
            successor.detach();
            report("SUCCESSOR-DETACHED", index + " size=" + sysfs(index, "size") + " pid=" + sysfs(index, "pid"));
            check("0".equals(sysfs(index, "size")), "the device is still configured after detach");
        }
    }

    /** Runs a command with its output on ours; its exit status, or -1 after two minutes. */
    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static String grepLines(String text, String... needles) {
        StringBuilder found = new StringBuilder();
        for (String line : text.split("\n")) {
            for (String needle : needles) {
                if (line.contains(needle)) {
                    found.append(line.strip()).append(" | ");
                    break;
                }
            }
        }
        return found.toString();
    }

    /** Holds read completions while {@code stall} is set, like a primary waiting on a dead peer. */
    private static final class StallingBackend implements BlockBackend {
        private final BlockBackend delegate;
        volatile boolean stall;
        volatile int stalled;

        StallingBackend(BlockBackend delegate) {
            this.delegate = delegate;
        }

        @Override
        public long size() {
            return delegate.size();
        }

        @Override
        public int sectorSize() {
            return delegate.sectorSize();
        }

        @Override
        public boolean flushCoversAllClients() {
            return false;
        }

        @Override
        public void read(long offset, int length, ByteBuf into, Completion done) {
            if (stall) {
                stalled++;
                return; // never completed: abort must fail it
            }
            delegate.read(offset, length, into, done);
        }

        @Override
        public void write(long offset, ByteBuf data, boolean fua, Completion done) {
            delegate.write(offset, data, fua, done);
        }

        @Override
        public void flush(Completion done) {
            delegate.flush(done);
        }

        @Override
        public void trim(long offset, long length, Completion done) {
            delegate.trim(offset, length, done);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
            delegate.writeZeroes(offset, length, mayPunch, done);
        }
    }

    private static void check(boolean ok, String failure) {
        if (!ok) {
            FAILURES.add(failure);
            report("CHECK-FAILED", failure);
        }
    }

    private static String sysfs(String device, String file) {
        try {
            return Files.readString(Paths.get("/sys/block", device, file)).strip();
        } catch (IOException e) {
            return "-";
        }
    }

    private static String uptime() {
        try {
            return Files.readString(Paths.get("/proc/uptime")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static long millisSince(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    private static void report(String key, String value) {
        System.out.println("HASTQ " + key + " " + value + " t=" + uptime());
        System.out.flush();
    }
}
