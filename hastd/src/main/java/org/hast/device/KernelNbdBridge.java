package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.hast.daemon.process.FatalThreads;
import org.hast.device.nbd.NbdExport;
import org.hast.device.nbd.NbdTransmission;
import org.hast.sys.SocketDescriptors;
import org.hast.sys.SocketLibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;

/**
 * The Linux NBD kernel driver as the device bridge (decisions §4; shared/spec/nbd.md, "Linux
 * kernel client specifics"): the backend is served in-process on one end of a socketpair, the
 * kernel gets the other end, and {@code <devdir>/<providerName>} is a symlink to
 * {@code /dev/nbdN}. No handshake happens at all: with the ioctl interface the handshake is
 * userspace's business, and we already know the size and flags it would have produced.
 *
 * <pre>
 *   attach: socketpair(AF_UNIX, SOCK_STREAM)
 *           our end   -> EpollDomainSocketChannel + NbdTransmission (on an epoll event loop)
 *           open /dev/nbdN (first free one)
 *           NBD_SET_SOCK(kernel end)   claims the device; EBUSY = another task got it, try the next
 *           NBD_SET_FLAGS, NBD_SET_BLKSIZE, NBD_SET_SIZE_BLOCKS, NBD_SET_TIMEOUT
 *           NBD_DO_IT on its own thread (returns when the connection ends)
 *           wait for /sys/block/nbdN/pid and the size, cap max_sectors_kb, symlink
 *   detach: unlink; fsync; NBD_DISCONNECT (the kernel sends DISC, the server closes when drained)
 *           -> DO_IT returns -> NBD_CLEAR_SOCK on the DO_IT thread; NBD_CLEAR_SOCK from here if it
 *           does not return in time; close /dev/nbdN, the channel, the event loop
 *   abort:  close our end first (the kernel fails what is outstanding with EIO), then detach
 * </pre>
 *
 * <p>Only {@link #attach(String, BlockBackend, String)} works; the socket-path
 * {@link DeviceBridge#attach(String, Path, String, long)} is refused because the kernel path
 * needs no export socket (see {@link #servesBackendDirectly()}).
 *
 * <p>The fields read by {@link #abort()} are volatile so that it never waits for a lock held by
 * a detach blocked on a stalled backend (fsync through the device).
 */
public final class KernelNbdBridge implements DeviceBridge {
    private static final Logger LOG = LoggerFactory.getLogger(KernelNbdBridge.class);

    /** A request older than this fails the connection (and with it every request). */
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    /** The request-size cap written to {@code max_sectors_kb}; our backend splits anyway. */
    public static final int DEFAULT_MAX_REQUEST_KB = 128;
    /** How long DO_IT may take to bring the device up (partition scan reads through us). */
    static final long READY_TIMEOUT_MILLIS = 10_000;
    /** How long a disconnect may take to drain requests in flight before the socket is cut. */
    static final long DISCONNECT_WAIT_MILLIS = 5_000;
    private static final long POLL_MILLIS = 5;

    private final Path devdir;
    private final NbdDevices devices;
    private final int timeoutSeconds;
    private final int maxRequestKb;
    private final EventLoopGroup sharedGroup;

    // Guarded by this, except where volatile for abort().
    private String providerName;
    private Path link;
    private Path linkTarget;
    private int index = -1;
    private volatile int nbdFd = -1;
    private volatile Channel channel;
    private EventLoopGroup ownGroup;
    private Thread doItThread;
    private CountDownLatch doItDone;
    private volatile String doItOutcome;
    private volatile boolean aborted;

    /** Devices under {@code devdir}; its own event loop per attachment; 30 s timeout. */
    public KernelNbdBridge(Path devdir) {
        this(devdir, null, DEFAULT_TIMEOUT_SECONDS, DEFAULT_MAX_REQUEST_KB);
    }

    /**
     * @param group          an epoll event loop group to serve the kernel on (the worker's), or
     *                       null for a one-thread group of the bridge's own
     * @param timeoutSeconds NBD_SET_TIMEOUT; must exceed the longest time the backend may
     *                       legitimately take (e.g. the replication timeout)
     * @param maxRequestKb   the {@code max_sectors_kb} cap, or 0 to leave the kernel's default
     */
    public KernelNbdBridge(Path devdir, EventLoopGroup group, int timeoutSeconds, int maxRequestKb) {
        this(devdir, NbdDevices.system(), group, timeoutSeconds, maxRequestKb);
    }

    KernelNbdBridge(Path devdir, NbdDevices devices, EventLoopGroup group, int timeoutSeconds, int maxRequestKb) {
        if (timeoutSeconds <= 0 || maxRequestKb < 0) {
            throw new IllegalArgumentException("timeoutSeconds must be positive and maxRequestKb not negative: "
                    + timeoutSeconds + ", " + maxRequestKb);
        }
        this.devdir = devdir.toAbsolutePath().normalize();
        this.devices = devices;
        this.sharedGroup = group;
        this.timeoutSeconds = timeoutSeconds;
        this.maxRequestKb = maxRequestKb;
    }

    @Override
    public boolean servesBackendDirectly() {
        return true;
    }

    @Override
    public void attach(String providerName, Path socket, String exportName, long sizeBytes) {
        throw new UnsupportedOperationException("the kernel NBD bridge serves the backend itself: "
                + "use attach(providerName, backend, exportName)");
    }

    @Override
    public synchronized void attach(String providerName, BlockBackend backend, String exportName)
            throws IOException {
        FuseLoopBridge.checkName(providerName);
        if (this.providerName != null) {
            throw new IllegalStateException("bridge already attached as " + this.providerName);
        }
        int blockSize = NbdIoctl.blockSizeFor(backend.sectorSize());
        long blocks = backend.size() / blockSize;
        if (blocks <= 0) {
            throw new IllegalArgumentException("backend of " + backend.size() + " bytes is smaller than one "
                    + blockSize + "-byte block");
        }
        if (backend.size() % blockSize != 0) {
            LOG.warn("{}: the last {} bytes are not a whole {}-byte block and stay invisible.", providerName,
                    backend.size() % blockSize, blockSize);
        }
        NbdExport export = new NbdExport(exportName, backend);
        this.providerName = providerName;
        this.link = devdir.resolve(providerName);
        this.aborted = false;
        long startNs = System.nanoTime();
        int kernelEnd = -1;
        try {
            int[] pair = new int[2];
            if (SocketLibC.get().socketpair(SocketLibC.AF_UNIX, SocketLibC.SOCK_STREAM | SocketLibC.SOCK_CLOEXEC,
                    0, pair) < 0) {
                throw new IOException(SocketLibC.failure("Unable to create a socket pair for kernel NBD"));
            }
            kernelEnd = pair[1];
            serve(pair[0], export);
            claimDevice(kernelEnd);
            // The kernel took its own reference to the socket (sockfd_lookup): ours can go.
            SocketDescriptors.closeQuietly(kernelEnd);
            kernelEnd = -1;
            NbdLibC libc = NbdLibC.get();
            ioctl(libc, NbdIoctl.SET_FLAGS, export.transmissionFlags());
            ioctl(libc, NbdIoctl.SET_BLKSIZE, blockSize);
            ioctl(libc, NbdIoctl.SET_SIZE_BLOCKS, blocks);
            ioctl(libc, NbdIoctl.SET_TIMEOUT, timeoutSeconds);
            startDoIt();
            waitUntilLive(blocks * blockSize / 512);
            if (maxRequestKb > 0 && !devices.limitRequestSize(index, maxRequestKb)) {
                LOG.info("nbd{}: requests not capped at {} KiB (max_sectors_kb refused); the backend splits them.",
                        index, maxRequestKb);
            }
            linkTarget = devices.devicePath(index);
            ProviderLink.create(link, linkTarget);
        } catch (IOException | RuntimeException e) {
            if (kernelEnd >= 0) {
                SocketDescriptors.closeQuietly(kernelEnd);
            }
            try {
                detach();
            } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        LOG.info("{} -> {} ({} blocks of {} bytes, flags 0x{}, timeout {} s) in {} ms.", link, linkTarget, blocks,
                blockSize, Integer.toHexString(export.transmissionFlags()), timeoutSeconds,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    /** Wraps our end in an epoll channel that speaks the transmission phase from the first byte. */
    private void serve(int fd, NbdExport export) throws IOException {
        EpollDomainSocketChannel served;
        try {
            // Loads the native transport; a channel made from a descriptor does not.
            Epoll.ensureAvailability();
            SocketDescriptors.setNonBlocking(fd);
            served = new EpollDomainSocketChannel(fd);
        } catch (IOException | RuntimeException | Error e) {
            SocketDescriptors.closeQuietly(fd);
            throw e;
        }
        channel = served; // owns fd from here on
        NbdTransmission.addLast(served.pipeline(), export);
        EventLoopGroup group = sharedGroup;
        if (group == null) {
            ownGroup = new MultiThreadIoEventLoopGroup(1, FatalThreads.eventLoops("nbd-bridge"),
                    EpollIoHandler.newFactory());
            group = ownGroup;
        }
        if (!group.register(served).awaitUninterruptibly(READY_TIMEOUT_MILLIS) || !served.isRegistered()) {
            throw new IOException("Unable to register the kernel NBD socket on the event loop");
        }
    }

    /** Opens the first free {@code /dev/nbdN} that accepts our socket. */
    private void claimDevice(int kernelEnd) throws IOException {
        NbdLibC libc = NbdLibC.get();
        List<Integer> candidates = devices.freeIndexes();
        if (candidates.isEmpty()) {
            throw new IOException("no free NBD device (" + devices.indexes().size() + " present, all in use or "
                    + "none loaded; 'modprobe nbd nbds_max=N' makes more)");
        }
        StringBuilder tried = new StringBuilder();
        for (int candidate : candidates) {
            Path node = devices.devicePath(candidate);
            int fd = libc.open(node.toString(), NbdLibC.O_RDWR | NbdLibC.O_CLOEXEC);
            if (fd < 0) {
                tried.append(' ').append(node).append(": ").append(libc.strerror(NbdLibC.errno())).append(';');
                continue;
            }
            if (libc.ioctl(fd, NbdIoctl.SET_SOCK, kernelEnd) == 0) {
                nbdFd = fd;
                index = candidate;
                return;
            }
            int errno = NbdLibC.errno();
            libc.close(fd);
            if (errno != NbdLibC.EBUSY) {
                throw new IOException("NBD_SET_SOCK on " + node + ": " + libc.strerror(errno));
            }
            tried.append(' ').append(node).append(": busy;");
        }
        throw new IOException("no NBD device could be claimed:" + tried);
    }

    private void ioctl(NbdLibC libc, long request, long argument) throws IOException {
        if (libc.ioctl(nbdFd, request, argument) < 0) {
            throw new IOException(NbdIoctl.name(request) + "(" + argument + ") on /dev/nbd" + index + ": "
                    + libc.strerror(NbdLibC.errno()));
        }
    }

    /**
     * DO_IT blocks in the kernel for the whole connection; afterwards its thread clears the
     * socket (as nbd-client does), which also fails anything still queued.
     */
    private void startDoIt() {
        int fd = nbdFd;
        int device = index;
        CountDownLatch done = new CountDownLatch(1);
        doItOutcome = null;
        Thread thread = FatalThreads.newThread("nbd" + device + "-do-it", () -> {
            NbdLibC libc = NbdLibC.get();
            try {
                int result = libc.ioctl(fd, NbdIoctl.DO_IT, 0);
                String outcome = result == 0 ? "ended" : "ended: " + libc.strerror(NbdLibC.errno());
                libc.ioctl(fd, NbdIoctl.CLEAR_SOCK, 0);
                doItOutcome = outcome;
                LOG.debug("nbd{}: NBD_DO_IT {}.", device, outcome);
            } catch (RuntimeException | Error e) {
                doItOutcome = "failed: " + e;
                throw e;
            } finally {
                done.countDown();
            }
        });
        doItThread = thread;
        doItDone = done;
        thread.start();
    }

    /** The device is up once sysfs shows a DO_IT task and our size. */
    private void waitUntilLive(long sectors) throws IOException {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        while (true) {
            if (doItDone.getCount() == 0) {
                throw new IOException("NBD_DO_IT on /dev/nbd" + index + " " + doItOutcome);
            }
            if (devices.doItTask(index).isPresent() && devices.sizeSectors(index) == sectors) {
                return;
            }
            if (System.nanoTime() - deadlineNs > 0) {
                throw new IOException("/dev/nbd" + index + " not live within " + READY_TIMEOUT_MILLIS + " ms (size "
                        + devices.sizeSectors(index) + " sectors, expected " + sectors + ")");
            }
            sleep(POLL_MILLIS);
        }
    }

    @Override
    public synchronized void detach() throws IOException {
        List<Exception> failures = new ArrayList<>();
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
        if (doItThread != null) {
            try {
                disconnect();
                doItThread = null;
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }
        // Never close /dev/nbdN under a DO_IT still running: the number could be reused at once.
        if (nbdFd >= 0 && doItThread == null) {
            if (NbdLibC.get().close(nbdFd) < 0) {
                failures.add(new IOException("close /dev/nbd" + index + ": "
                        + NbdLibC.get().strerror(NbdLibC.errno())));
            }
            nbdFd = -1;
            index = -1;
        }
        Channel served = channel;
        if (served != null) {
            served.close().awaitUninterruptibly(DISCONNECT_WAIT_MILLIS);
            channel = null;
        }
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            ownGroup = null;
        }
        if (failures.isEmpty()) {
            providerName = null;
            return;
        }
        IOException first = failures.get(0) instanceof IOException io
                ? io : new IOException(failures.get(0).getMessage(), failures.get(0));
        for (int i = 1; i < failures.size(); i++) {
            first.addSuppressed(failures.get(i));
        }
        throw first;
    }

    /**
     * Ends the connection and waits for DO_IT: politely first (data written through the device's
     * page cache is flushed, then DISC lets the server finish what is in flight), then by cutting
     * the socket with NBD_CLEAR_SOCK.
     */
    private void disconnect() throws IOException {
        NbdLibC libc = NbdLibC.get();
        long startNs = System.nanoTime();
        if (doItDone.getCount() > 0 && !aborted) {
            if (libc.fsync(nbdFd) < 0) {
                LOG.warn("nbd{}: fsync before disconnect failed: {}.", index, libc.strerror(NbdLibC.errno()));
            }
            if (libc.ioctl(nbdFd, NbdIoctl.DISCONNECT, 0) < 0) {
                LOG.warn("nbd{}: NBD_DISCONNECT: {}.", index, libc.strerror(NbdLibC.errno()));
            }
        }
        if (!awaitDoIt(DISCONNECT_WAIT_MILLIS)) {
            LOG.warn("nbd{}: still connected {} ms after NBD_DISCONNECT; clearing the socket.", index,
                    DISCONNECT_WAIT_MILLIS);
            libc.ioctl(nbdFd, NbdIoctl.CLEAR_SOCK, 0);
            Channel served = channel;
            if (served != null) {
                served.close();
            }
            if (!awaitDoIt(DISCONNECT_WAIT_MILLIS)) {
                throw new IOException("NBD_DO_IT on /dev/nbd" + index + " did not return after NBD_CLEAR_SOCK");
            }
        }
        LOG.info("nbd{}: disconnected ({}) in {} ms.", index, doItOutcome,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    private boolean awaitDoIt(long millis) throws IOException {
        try {
            if (!doItDone.await(millis, TimeUnit.MILLISECONDS)) {
                return false;
            }
            doItThread.join(millis);
            return !doItThread.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for NBD_DO_IT to return", e);
        }
    }

    /**
     * Closes our end of the socket without waiting for anything: the kernel's receive thread
     * sees end of file, the connection is dead and every outstanding and later request fails
     * with EIO. Then detaches (no fsync, no DISC: nobody would answer them).
     */
    @Override
    public void abort() throws IOException {
        aborted = true;
        Channel served = channel;
        if (served != null) {
            served.close();
            LOG.warn("Kernel NBD socket of {} closed: outstanding I/O fails with EIO.", devicePath());
        }
        detach();
    }

    @Override
    public synchronized Path devicePath() {
        return link;
    }

    /** {@code /dev/nbdN} while attached, else null. */
    public synchronized Path nbdDevice() {
        return index < 0 ? null : devices.devicePath(index);
    }

    /** What {@link #cleanupStale(String, Path)} does with this machine's /sys, /dev and /proc. */
    public static void cleanupStale(String name, Path devdir) throws IOException {
        cleanupStale(name, devdir.toAbsolutePath().normalize(), NbdDevices.system());
    }

    /**
     * What a restarted worker calls before attaching. When {@code <devdir>/<name>} is a symlink
     * to {@code /dev/nbdN} whose DO_IT task is dead, belongs to this process, or belongs to a
     * worker for {@code name} (command line {@code hastd: <name> (}), that device is
     * disconnected (NBD_DISCONNECT, then NBD_CLEAR_SOCK, which also fails its queued I/O); a
     * device now used by anybody else is left alone. Then the symlink goes. A non-symlink is
     * left in place (attach refuses it). A missing piece is not an error.
     *
     * <p>Usually there is little to do: when a worker dies, its descriptors close and the kernel
     * frees the device by itself. It stays configured only while something else holds it open
     * (a mounted file system), and then it is marked busy and attach picks another device.
     */
    static void cleanupStale(String name, Path devdir, NbdDevices devices) throws IOException {
        FuseLoopBridge.checkName(name);
        Path link = devdir.resolve(name);
        if (!Files.isSymbolicLink(link)) {
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                LOG.warn("{} is not a symlink; left in place (attach will refuse it).", link);
            }
            return;
        }
        Path target = Files.readSymbolicLink(link);
        OptionalInt stale = devices.indexOf(target);
        IOException failure = null;
        if (stale.isPresent() && staleOwner(name, stale.getAsInt(), devices)) {
            try {
                disconnectStale(devices.devicePath(stale.getAsInt()));
            } catch (IOException e) {
                failure = e;
            }
        }
        LOG.warn("Removing stale symlink {} -> {}.", link, target);
        Files.deleteIfExists(link);
        if (failure != null) {
            throw failure;
        }
    }

    /** Whether the device behind a stale link is ours to disconnect (see cleanupStale). */
    static boolean staleOwner(String name, int index, NbdDevices devices) throws IOException {
        OptionalLong task = devices.doItTask(index);
        if (task.isEmpty()) {
            long size = devices.sizeSectors(index);
            if (size > 0) {
                LOG.warn("nbd{} has {} sectors and no DO_IT task: left half set up; clearing it.", index, size);
                return true;
            }
            return false; // already free
        }
        long pid = devices.processOf(task.getAsLong());
        if (pid < 0) {
            LOG.warn("nbd{} is still served by task {}, which is gone; disconnecting it.", index, task.getAsLong());
            return true;
        }
        if (pid == ProcessHandle.current().pid()) {
            LOG.warn("nbd{} is still served by this process; disconnecting it.", index);
            return true;
        }
        String command = devices.commandLine(pid);
        if (command.contains("hastd: " + name + " (")) {
            LOG.warn("nbd{} is still served by an earlier worker (pid {}: {}); disconnecting it.", index, pid,
                    command);
            return true;
        }
        LOG.warn("nbd{} is now served by pid {} ({}), not by a worker for {}; left alone.", index, pid, command,
                name);
        return false;
    }

    private static void disconnectStale(Path node) throws IOException {
        NbdLibC libc = NbdLibC.get();
        int fd = libc.open(node.toString(), NbdLibC.O_RDWR | NbdLibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("open " + node + ": " + libc.strerror(NbdLibC.errno()));
        }
        try {
            // Failures are expected on a device whose connection is already dead: both are tried.
            int disconnect = libc.ioctl(fd, NbdIoctl.DISCONNECT, 0);
            String disconnectError = disconnect < 0 ? libc.strerror(NbdLibC.errno()) : "ok";
            int clear = libc.ioctl(fd, NbdIoctl.CLEAR_SOCK, 0);
            String clearError = clear < 0 ? libc.strerror(NbdLibC.errno()) : "ok";
            LOG.warn("Disconnected stale {} (NBD_DISCONNECT: {}, NBD_CLEAR_SOCK: {}).", node, disconnectError,
                    clearError);
        } finally {
            libc.close(fd);
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
