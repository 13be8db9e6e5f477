package org.hast.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.block.DeviceBridge;

/**
 * The Linux fallback without the nbd module (decisions §3, §4; feasibility.md, experiment 2):
 * {@code nbdfuse} shows the export as one file in a private FUSE mount, a loop device is bound
 * to that file, and {@code <devdir>/<providerName>} is a symlink to the loop device.
 *
 * <pre>
 *   &lt;runBase&gt;/&lt;name&gt;/          0700, ours alone
 *       mnt/                    FUSE mount point (0700); mnt/disk is the export
 *       nbdfuse.pid             written by nbdfuse once it serves: our readiness signal
 *       nbdfuse.log             its stdout and stderr, quoted when it fails
 *   &lt;devdir&gt;/&lt;providerName&gt; -&gt; /dev/loopN
 * </pre>
 *
 * <p>The loop device uses direct I/O when the kernel accepts it: writes then reach the export
 * without a second page cache on the way, and a flush has less to push (feasibility.md: sync of
 * 200 MiB 0.16 s instead of 0.96 s).
 *
 * <p>FUSE has no request timeout: a stalled export blocks its callers in D state for ever.
 * {@link #abort()} aborts the FUSE connection first, which fails every waiting request at once.
 * The state fields read by abort are volatile so that it never waits for a lock held by an
 * attach or detach blocked on that very connection.
 */
public final class FuseLoopBridge implements DeviceBridge {
    private static final Logger LOG = LoggerFactory.getLogger(FuseLoopBridge.class);

    public static final Path DEFAULT_RUN_BASE = Paths.get("/run/hast/fuse");
    public static final long DEFAULT_READY_TIMEOUT_MILLIS = 10_000;
    static final String FILE_NAME = "disk";
    static final String PID_FILE = "nbdfuse.pid";
    static final String LOG_FILE = "nbdfuse.log";
    private static final long POLL_MILLIS = 10;
    /** nbdfuse exits by itself once unmounted; after this it gets SIGTERM, then SIGKILL. */
    private static final long EXIT_WAIT_MILLIS = 3_000;
    /**
     * After an abort nbdfuse has nothing left to do, and its threads may sit waiting on a
     * stalled export, deaf to SIGTERM (measured: it ignores it). It holds no data of its own
     * (every write is an NBD command, answered or failed), so a short wait is enough.
     */
    private static final long ABORTED_EXIT_WAIT_MILLIS = 500;

    private final Path devdir;
    private final Path runBase;
    private final long readyTimeoutMillis;

    // Guarded by this; each is cleared when the step that undoes it has succeeded.
    private String providerName;
    private Path runDir;
    private Process nbdfuse;
    private Path link;
    private Path linkTarget;
    private volatile Path mountPoint;
    private volatile String loopDevice;
    private volatile long fuseConnectionId = -1;
    private volatile boolean aborted;

    /** Provides devices under {@code devdir}, mounting under {@link #runBaseFor}{@code (devdir)}. */
    public FuseLoopBridge(Path devdir) {
        this(devdir, runBaseFor(devdir), DEFAULT_READY_TIMEOUT_MILLIS);
    }

    /**
     * Where the bridge of a hastd with this {@code devdir} keeps its mount points:
     * {@link #DEFAULT_RUN_BASE} for the default {@code /dev/hast}, else a sibling named after the
     * devdir. Two hastd on one machine (tests, the demo) have different devdirs, and a worker's
     * stale-device cleanup must never reach the other's nbdfuse or loop device.
     */
    public static Path runBaseFor(Path devdir) {
        Path normalized = devdir.toAbsolutePath().normalize();
        if (normalized.equals(Paths.get("/dev/hast"))) {
            return DEFAULT_RUN_BASE;
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(normalized.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return DEFAULT_RUN_BASE.resolveSibling(String.format("fuse-%08x", crc.getValue()));
    }

    /**
     * @param runBase            where the private mount points are made (tests use a temp dir)
     * @param readyTimeoutMillis how long nbdfuse may take to serve the file
     */
    public FuseLoopBridge(Path devdir, Path runBase, long readyTimeoutMillis) {
        if (readyTimeoutMillis <= 0) {
            throw new IllegalArgumentException("readyTimeoutMillis must be positive: " + readyTimeoutMillis);
        }
        this.devdir = devdir.toAbsolutePath().normalize();
        this.runBase = runBase.toAbsolutePath().normalize();
        this.readyTimeoutMillis = readyTimeoutMillis;
    }

    @Override
    public synchronized void attach(String providerName, Path socket, String exportName, long sizeBytes)
            throws IOException {
        checkName(providerName);
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("export size must be positive: " + sizeBytes);
        }
        if (this.providerName != null) {
            throw new IllegalStateException("bridge already attached as " + this.providerName);
        }
        this.providerName = providerName;
        this.link = devdir.resolve(providerName);
        long startNs = System.nanoTime();
        try {
            prepareRunDir();
            startNbdfuse(socket, exportName);
            waitUntilServing(sizeBytes);
            String loop = bindLoopDevice(mountPoint.resolve(FILE_NAME));
            Path target = Paths.get(loop);
            ProviderLink.create(link, target);
            linkTarget = target;
        } catch (IOException | RuntimeException e) {
            try {
                detach();
            } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        LOG.info("{} -> {} ({} bytes, nbdfuse pid {}, FUSE connection {}) in {} ms.", link, loopDevice,
                sizeBytes, nbdfuse.pid(), fuseConnectionId,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    @Override
    public synchronized void detach() throws IOException {
        List<Exception> failures = new ArrayList<>();
        // The symlink first: nothing should find the device while it is being taken apart.
        if (link != null) {
            try {
                if (linkTarget != null) {
                    ProviderLink.removeIfPointsTo(link, linkTarget);
                }
                link = null;
                linkTarget = null;
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        if (loopDevice != null) {
            try {
                FuseLoopSystem.detachLoop(loopDevice, mountPoint);
                loopDevice = null;
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        Path mounted = mountPoint;
        if (mounted != null) {
            try {
                FuseLoopSystem.unmountFuse(mounted);
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        if (nbdfuse != null) {
            try {
                stopNbdfuse();
                nbdfuse = null;
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        if (runDir != null && failures.isEmpty()) {
            try {
                removeRunDir(runDir);
                runDir = null;
                mountPoint = null;
                fuseConnectionId = -1;
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        if (failures.isEmpty()) {
            providerName = null;
            aborted = false;
            return;
        }
        IOException first = failures.get(0) instanceof IOException io
                ? io : new IOException(failures.get(0).getMessage(), failures.get(0));
        for (int i = 1; i < failures.size(); i++) {
            first.addSuppressed(failures.get(i));
        }
        throw first;
    }

    @Override
    public void abort() throws IOException {
        // No lock: an attach or detach may be blocked on the very connection we abort.
        long id = fuseConnectionId;
        Path mounted = mountPoint;
        if (id < 0 && mounted != null) {
            FuseLoopSystem.Mount mount = FuseLoopSystem.findMount(mounted);
            if (mount != null && mount.isFuse()) {
                id = mount.fuseConnectionId();
            }
        }
        if (id >= 0) {
            long startNs = System.nanoTime();
            boolean done = FuseLoopSystem.abortFuseConnection(id);
            LOG.warn("FUSE connection {} of {} {} in {} ms.", id, mounted,
                    done ? "aborted" : "already gone", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        }
        aborted = true;
        detach();
    }

    @Override
    public Path devicePath() {
        synchronized (this) {
            return link;
        }
    }

    /** The loop device ({@code /dev/loopN}) while attached, else null. */
    public String loopDevice() {
        return loopDevice;
    }

    /** The FUSE mount point while attached, else null. */
    public Path mountPoint() {
        return mountPoint;
    }

    /** nbdfuse's PID while it runs, else -1 (for tests and status). */
    public synchronized long nbdfusePid() {
        return nbdfuse == null ? -1 : nbdfuse.pid();
    }

    /**
     * Removes what a crashed predecessor left for {@code name} under {@link #runBaseFor}:
     * see {@link #cleanupStale(String, Path, Path)}.
     */
    public static void cleanupStale(String name, Path devdir) throws IOException {
        cleanupStale(name, devdir, runBaseFor(devdir));
    }

    /**
     * What a restarted worker calls before attaching: removes a symlink
     * {@code <devdir>/<name>}, aborts a FUSE connection still mounted at our mount point (the
     * export that served it died with the predecessor), unbinds loop devices whose backing file
     * is under it, unmounts it, ends the nbdfuse named in our pid file (only if its command line
     * names our mount point) and removes the run directory. A missing piece is not an error.
     */
    public static void cleanupStale(String name, Path devdir, Path runBase) throws IOException {
        FuseLoopCleanup.cleanupStale(name, devdir.toAbsolutePath().normalize(),
                runBase.toAbsolutePath().normalize());
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
                || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("provider name must be one path component: " + name);
        }
    }

    static Path runDir(Path runBase, String name) {
        return runBase.resolve(name);
    }

    static Path mountPoint(Path runDir) {
        return runDir.resolve("mnt");
    }

    private void prepareRunDir() throws IOException {
        Files.createDirectories(runBase);
        Path dir = runDir(runBase.toRealPath(), providerName);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        // An existing directory may have come with looser rights; ours alone either way.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        runDir = dir;
        Path mnt = mountPoint(dir);
        FuseLoopSystem.Mount stale = FuseLoopSystem.findMount(mnt);
        if (stale != null) {
            runDir = null; // not ours to remove
            throw new IOException(mnt + " is still mounted (" + stale.fsType()
                    + "), left by an earlier worker; run cleanupStale first");
        }
        if (!Files.isDirectory(mnt, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(mnt, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        Files.deleteIfExists(dir.resolve(PID_FILE));
        mountPoint = mnt;
    }

    private void startNbdfuse(Path socket, String exportName) throws IOException {
        List<String> argv = nbdfuseCommand(runDir.resolve(PID_FILE), mountPoint.resolve(FILE_NAME),
                socket, exportName);
        Path log = runDir.resolve(LOG_FILE);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()))
                .redirectOutput(log.toFile())
                .redirectErrorStream(true);
        try {
            nbdfuse = builder.start();
        } catch (IOException e) {
            throw new IOException("nbdfuse could not be started: " + e.getMessage(), e);
        }
        LOG.debug("Started {} (pid {}).", String.join(" ", argv), nbdfuse.pid());
    }

    /**
     * {@code nbdfuse -P PIDFILE MOUNTPOINT/disk nbd+unix:///EXPORT?socket=SOCKET}. The URI form
     * rather than {@code --unix SOCKET} because only it carries the export name; multi-conn is
     * left to nbdfuse (used when the server advertises it).
     */
    static List<String> nbdfuseCommand(Path pidFile, Path file, Path socket, String exportName) {
        return List.of("nbdfuse", "-P", pidFile.toString(), file.toString(), nbdUnixUri(socket, exportName));
    }

    /** {@code nbd+unix:///<export>?socket=<path>} with both parts percent-encoded (RFC 3986). */
    static String nbdUnixUri(Path socket, String exportName) {
        return "nbd+unix:///" + percentEncode(exportName, false) + "?socket="
                + percentEncode(socket.toAbsolutePath().toString(), true);
    }

    static String percentEncode(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/');
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * nbdfuse writes its pid file once it serves (nbdfuse(1), -P); the file must then have the
     * export's size. Bounded by {@code readyTimeoutMillis}; an early exit is reported with
     * nbdfuse's first line of output.
     */
    private void waitUntilServing(long sizeBytes) throws IOException {
        Path pidFile = runDir.resolve(PID_FILE);
        Path file = mountPoint.resolve(FILE_NAME);
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readyTimeoutMillis);
        while (true) {
            if (!nbdfuse.isAlive()) {
                throw new IOException("nbdfuse exited " + nbdfuse.exitValue() + ": " + firstLogLine());
            }
            if (Files.isRegularFile(pidFile) && Files.size(pidFile) > 0) {
                long actual = Files.size(file);
                if (actual != sizeBytes) {
                    throw new IOException("nbdfuse serves " + actual + " bytes, expected " + sizeBytes);
                }
                FuseLoopSystem.Mount mount = FuseLoopSystem.findMount(mountPoint);
                if (mount == null || !mount.isFuse()) {
                    throw new IOException("nbdfuse is ready but " + mountPoint + " is not a FUSE mount");
                }
                fuseConnectionId = mount.fuseConnectionId();
                return;
            }
            if (System.nanoTime() - deadlineNs > 0) {
                throw new IOException("nbdfuse not serving within " + readyTimeoutMillis + " ms: " + firstLogLine());
            }
            sleep(POLL_MILLIS);
        }
    }

    /**
     * {@code losetup --find --show --direct-io=on FILE}; without direct I/O when that is
     * refused (logged). A device the refused attempt may have left bound is unbound first.
     */
    private String bindLoopDevice(Path file) throws IOException {
        ToolRunner.Result direct = ToolRunner.run(FuseLoopSystem.TOOL_TIMEOUT_MILLIS,
                List.of("losetup", "--find", "--show", "--direct-io=on", file.toString()));
        if (direct.ok()) {
            loopDevice = direct.stdout().strip();
            return loopDevice;
        }
        LOG.warn("{}; binding {} without direct I/O.", direct.failureLine(), file);
        for (String leftover : FuseLoopSystem.loopDevicesBackedUnder(mountPoint)) {
            FuseLoopSystem.detachLoop(leftover, mountPoint);
        }
        loopDevice = ToolRunner.check(FuseLoopSystem.TOOL_TIMEOUT_MILLIS,
                List.of("losetup", "--find", "--show", file.toString())).strip();
        return loopDevice;
    }

    private void stopNbdfuse() throws IOException {
        long pid = nbdfuse.pid();
        long waitMillis = aborted ? ABORTED_EXIT_WAIT_MILLIS : EXIT_WAIT_MILLIS;
        if (waitExit(nbdfuse, waitMillis)) {
            return;
        }
        LOG.warn("nbdfuse (pid {}) still running {} ms after unmount; sending SIGTERM.", pid, waitMillis);
        nbdfuse.destroy();
        if (waitExit(nbdfuse, waitMillis)) {
            return;
        }
        LOG.warn("nbdfuse (pid {}) ignored SIGTERM for {} ms; sending SIGKILL.", pid, waitMillis);
        nbdfuse.destroyForcibly();
        if (!waitExit(nbdfuse, EXIT_WAIT_MILLIS)) {
            throw new IOException("nbdfuse (pid " + pid + ") did not exit after SIGKILL");
        }
    }

    private static boolean waitExit(Process process, long millis) throws IOException {
        try {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for nbdfuse to exit", e);
        }
    }

    /** Removes the run directory; refuses while anything is still mounted in it. */
    static void removeRunDir(Path dir) throws IOException {
        Path mnt = mountPoint(dir);
        if (FuseLoopSystem.findMount(mnt) != null) {
            throw new IOException(mnt + " is still mounted; " + dir + " left in place");
        }
        Files.deleteIfExists(mnt);
        Files.deleteIfExists(dir.resolve(PID_FILE));
        Files.deleteIfExists(dir.resolve(LOG_FILE));
        Files.deleteIfExists(dir);
    }

    private String firstLogLine() {
        try {
            return ToolRunner.firstLine(Files.readString(runDir.resolve(LOG_FILE), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return "(no output)";
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
