package org.hast.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The FUSE + loop bridge against a real nbdkit, as root. Every test leaves no mount, loop
 * device or process behind: {@link #tearDown()} detaches, then runs cleanupStale as a safety
 * net, and checks.
 */
class FuseLoopBridgeTest {
    private static final long SIZE = 64L << 20;
    private static final String NAME = "r0";
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private Path work;
    private Path runBase;
    private Path devdir;
    private Path image;
    private NbdkitServer server;
    private FuseLoopBridge bridge;
    private Process dd;

    @BeforeEach
    void setUp() throws Exception {
        Requirements.requireRoot();
        Requirements.require(Files.exists(Paths.get("/dev/fuse")), "/dev/fuse missing (no FUSE)");
        Requirements.require(Files.exists(Paths.get("/dev/loop-control")), "/dev/loop-control missing (no loop devices)");
        Requirements.requireTool("nbdfuse", "libnbd-bin");
        Requirements.requireTool("nbdkit", "nbdkit");
        Requirements.requireTool("fusermount3", "fuse3");
        Requirements.requireTool("losetup", "mount");
        Requirements.requireTool("blockdev", "util-linux");
        Requirements.requireTool("mkfs.ext4", "e2fsprogs");
        Requirements.requireTool("fsck.ext4", "e2fsprogs");
        work = Files.createTempDirectory("hast-fuse-test-");
        runBase = work.resolve("run");
        devdir = Paths.get("/dev/hast-test-" + Long.toHexString(new Random().nextLong() & 0xffffffffL));
        image = work.resolve("image");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(SIZE);
        }
        Files.createDirectories(work.resolve("srv"));
        server = NbdkitServer.start(work.resolve("srv"), "file", image.toString());
        bridge = new FuseLoopBridge(devdir, runBase, 10_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (work == null) {
            return; // skipped before anything was made
        }
        try {
            if (server != null) {
                server.resume(); // a paused server would keep detach waiting
            }
            if (bridge != null) {
                try {
                    bridge.detach();
                } catch (IOException e) {
                    bridge.abort();
                }
            }
            if (dd != null && dd.isAlive()) {
                dd.destroyForcibly();
                dd.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            FuseLoopBridge.cleanupStale(NAME, devdir, runBase);
            if (server != null) {
                server.close();
            }
            assertNothingLeft();
            Files.deleteIfExists(devdir);
            deleteTree(work);
        }
    }

    @Test
    void attachWriteThroughMkfsFsckAndDetach() throws Exception {
        bridge.attach(NAME, server.socket, NAME, SIZE);

        Path link = devdir.resolve(NAME);
        assertEquals(link, bridge.devicePath());
        assertTrue(Files.isSymbolicLink(link));
        String loop = Files.readSymbolicLink(link).toString();
        assertTrue(loop.matches("/dev/loop[0-9]+"), loop);
        assertEquals(loop, bridge.loopDevice());
        int mode = (Integer) Files.getAttribute(Paths.get(loop), "unix:mode");
        assertEquals(S_IFBLK, mode & S_IFMT, loop + " is not a block device");
        assertEquals(Long.toString(SIZE), tool("blockdev", "--getsize64", link.toString()).strip());
        assertTrue(tool("losetup", "--list", "--noheadings", "--output", "DIO", loop).strip().equals("1"),
                "direct I/O expected on " + loop);

        // A pattern at 3 MiB, O_DIRECT through the device, must land in nbdkit's file.
        byte[] pattern = new byte[1 << 20];
        new Random(42).nextBytes(pattern);
        Path patternFile = work.resolve("pattern");
        Files.write(patternFile, pattern);
        tool("dd", "if=" + patternFile, "of=" + link, "bs=1M", "seek=3", "count=1", "oflag=direct", "status=none");
        byte[] landed = new byte[pattern.length];
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
            file.seek(3L << 20);
            file.readFully(landed);
        }
        assertArrayEquals(pattern, landed, "bytes written to the device differ in the export's backing file");

        tool("mkfs.ext4", "-q", "-F", link.toString());
        ToolRunner.Result fsck = ToolRunner.run(60_000, List.of("fsck.ext4", "-n", "-f", link.toString()));
        assertEquals(0, fsck.exitCode(), fsck.stdout() + fsck.stderr());

        long pid = bridge.nbdfusePid();
        Path mnt = bridge.mountPoint();
        bridge.detach();
        assertGone(link, loop, mnt, pid);
        assertEquals(null, bridge.devicePath());
        bridge.detach(); // idempotent
    }

    @Test
    void abortFailsIoWaitingOnAStalledServer() throws Exception {
        bridge.attach(NAME, server.socket, NAME, SIZE);
        String loop = bridge.loopDevice();
        long pid = bridge.nbdfusePid();
        Path mnt = bridge.mountPoint();

        server.pause();
        dd = startDd(devdir.resolve(NAME));
        // Without abort this write waits for ever (FUSE has no request timeout).
        assertFalse(dd.waitFor(1, TimeUnit.SECONDS), "dd finished against a stopped server");

        AtomicLong ddExitNs = new AtomicLong();
        dd.onExit().thenRun(() -> ddExitNs.set(System.nanoTime()));
        long startNs = System.nanoTime();
        boundedAbort();
        long abortMs = msSince(startNs);
        assertTrue(dd.waitFor(10, TimeUnit.SECONDS), "dd still blocked 10 s after abort");
        Thread.sleep(50); // let onExit's stage run
        assertNotEquals(0, dd.exitValue(), "dd succeeded although its writes were aborted");
        System.out.printf("abort (stalled server): abort()+detach %d ms, dd exited %d after %d ms%n",
                abortMs, dd.exitValue(), TimeUnit.NANOSECONDS.toMillis(ddExitNs.get() - startNs));
        assertGone(devdir.resolve(NAME), loop, mnt, pid);
    }

    @Test
    void abortAfterTheServerWasKilled() throws Exception {
        bridge.attach(NAME, server.socket, NAME, SIZE);
        String loop = bridge.loopDevice();
        long pid = bridge.nbdfusePid();
        Path mnt = bridge.mountPoint();

        server.pause();
        dd = startDd(devdir.resolve(NAME));
        assertFalse(dd.waitFor(1, TimeUnit.SECONDS), "dd finished against a stopped server");
        long killNs = System.nanoTime();
        server.kill();
        // Whether nbdfuse fails the request by itself once the socket is gone, or abort must.
        boolean failedAlone = dd.waitFor(200, TimeUnit.MILLISECONDS);
        long startNs = System.nanoTime();
        boundedAbort();
        long abortMs = msSince(startNs);
        assertTrue(dd.waitFor(10, TimeUnit.SECONDS), "dd still blocked 10 s after abort");
        assertNotEquals(0, dd.exitValue(), "dd succeeded against a killed server");
        System.out.printf("abort (killed server): dd %s; abort()+detach %d ms; dd exited %d, %d ms after the kill%n",
                failedAlone ? "had already failed on its own" : "was still blocked at abort", abortMs,
                dd.exitValue(), msSince(killNs));
        assertGone(devdir.resolve(NAME), loop, mnt, pid);
    }

    @Test
    void detachWhileTheDeviceIsHeldOpenEndsBoundedAndTheLoopClearsOnLastClose() throws Exception {
        bridge.attach(NAME, server.socket, NAME, SIZE);
        String loop = bridge.loopDevice();
        long pid = bridge.nbdfusePid();
        Path mnt = bridge.mountPoint();
        // A holder, as a file system still mounted on the device would be.
        dd = new ProcessBuilder("sh", "-c", "exec 3<" + loop + "; exec sleep 30")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread.sleep(200);

        long startNs = System.nanoTime();
        bridge.detach();
        System.out.printf("detach with the device held open: %d ms%n", msSince(startNs));
        assertFalse(Files.exists(devdir.resolve(NAME), LinkOption.NOFOLLOW_LINKS));
        assertEquals(null, FuseLoopSystem.findMount(mnt));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "nbdfuse still running");
        // losetup -d on a busy device only sets autoclear: it goes when its holder closes it.
        dd.destroyForcibly();
        assertTrue(dd.waitFor(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (FuseLoopSystem.loopBackingFile(loop) != null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(null, FuseLoopSystem.loopBackingFile(loop), loop + " still bound after its holder left");
    }

    @Test
    void cleanupStaleRemovesWhatACrashedOwnerLeft() throws Exception {
        FuseLoopBridge crashed = new FuseLoopBridge(devdir, runBase, 10_000);
        bridge = null;
        crashed.attach(NAME, server.socket, NAME, SIZE);
        String loop = crashed.loopDevice();
        long pid = crashed.nbdfusePid();
        Path mnt = crashed.mountPoint();
        // The owner dies with its export and never detaches.
        server.kill();

        long startNs = System.nanoTime();
        FuseLoopBridge.cleanupStale(NAME, devdir, runBase);
        System.out.printf("cleanupStale after a crash: %d ms%n", msSince(startNs));
        assertGone(devdir.resolve(NAME), loop, mnt, pid);

        // A successor attaches under the same name.
        server = NbdkitServer.start(work.resolve("srv"), "file", image.toString());
        bridge = new FuseLoopBridge(devdir, runBase, 10_000);
        bridge.attach(NAME, server.socket, NAME, SIZE);
        assertEquals(Long.toString(SIZE), tool("blockdev", "--getsize64", devdir.resolve(NAME).toString()).strip());
        bridge.detach();
    }

    @Test
    void attachRefusesAMountLeftByACrashedOwner() throws Exception {
        FuseLoopBridge crashed = new FuseLoopBridge(devdir, runBase, 10_000);
        crashed.attach(NAME, server.socket, NAME, SIZE);
        try {
            IOException e = assertThrows(IOException.class, () -> bridge.attach(NAME, server.socket, NAME, SIZE));
            assertTrue(e.getMessage().contains("cleanupStale"), e.getMessage());
            assertTrue(Files.isSymbolicLink(devdir.resolve(NAME)), "the refused attach removed the owner's link");
        } finally {
            crashed.detach();
        }
    }

    @Test
    void staleSymlinkIsReplacedAndOtherFilesAreRefused() throws Exception {
        Files.createDirectories(devdir);
        Path link = devdir.resolve(NAME);
        Files.createSymbolicLink(link, Paths.get("/dev/loop-gone"));
        bridge.attach(NAME, server.socket, NAME, SIZE);
        assertEquals(Paths.get(bridge.loopDevice()), Files.readSymbolicLink(link));
        bridge.detach();
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));

        Files.writeString(link, "not ours");
        IOException e = assertThrows(IOException.class, () -> bridge.attach(NAME, server.socket, NAME, SIZE));
        assertTrue(e.getMessage().contains("not a symlink"), e.getMessage());
        assertEquals("not ours", Files.readString(link));
        assertNothingLeft();
        Files.delete(link);
    }

    @Test
    void wrongSizeFailsAndUndoesTheAttach() throws Exception {
        IOException e = assertThrows(IOException.class, () -> bridge.attach(NAME, server.socket, NAME, SIZE + 4096));
        assertTrue(e.getMessage().contains("expected " + (SIZE + 4096)), e.getMessage());
        assertEquals(-1, bridge.nbdfusePid());
        assertNothingLeft();
    }

    @Test
    void nbdfuseFailureIsReportedWithItsOutput() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> bridge.attach(NAME, work.resolve("no-such.sock"), NAME, SIZE));
        assertTrue(e.getMessage().startsWith("nbdfuse exited "), e.getMessage());
        assertFalse(e.getMessage().endsWith("(no output)"), e.getMessage());
        System.out.println("nbdfuse failure line: " + e.getMessage());
        assertNothingLeft();
    }

    private Process startDd(Path device) throws IOException {
        return new ProcessBuilder("dd", "if=/dev/zero", "of=" + device, "bs=1M", "count=8", "oflag=direct",
                "status=none")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** abort() on another thread with a bound, so a hang fails the test instead of the build. */
    private void boundedAbort() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<?> abort = executor.submit(() -> {
                bridge.abort();
                return null;
            });
            abort.get(30, TimeUnit.SECONDS);
        } finally {
            executor.shutdownNow();
        }
    }

    private void assertGone(Path link, String loop, Path mnt, long nbdfusePid) throws IOException {
        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS), link + " still exists");
        // A loop device still open (dd's last close after an abort) is detached by the kernel
        // on that close, which may come a moment after the process is reaped: wait for it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (FuseLoopSystem.loopBackingFile(loop) != null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertEquals(null, FuseLoopSystem.loopBackingFile(loop), loop + " still bound");
        assertEquals(null, FuseLoopSystem.findMount(mnt), mnt + " still mounted");
        // nbdfuse exits on its own once unmounted, which may also come a moment later.
        while (ProcessHandle.of(nbdfusePid).map(ProcessHandle::isAlive).orElse(false)
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertFalse(ProcessHandle.of(nbdfusePid).map(ProcessHandle::isAlive).orElse(false),
                "nbdfuse " + nbdfusePid + " still running");
        assertFalse(Files.exists(mnt.getParent()), mnt.getParent() + " still exists");
    }

    private void assertNothingLeft() throws IOException {
        assertEquals(List.of(), FuseLoopSystem.loopDevicesBackedUnder(runBase), "loop devices left bound");
        String base = runBase.toString();
        List<String> mounts = Files.readAllLines(Paths.get("/proc/self/mountinfo")).stream()
                .filter(line -> line.contains(base)).toList();
        assertEquals(List.of(), mounts, "mounts left");
    }

    private static String tool(String... argv) throws IOException {
        return ToolRunner.check(60_000, List.of(argv));
    }

    private static long msSince(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
