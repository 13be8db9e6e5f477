package org.hast.device;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.hast.block.BlockBackend;
import org.hast.block.DeviceBridge;

/**
 * The Linux NBD kernel driver as the device bridge (decisions §4; shared/spec/nbd.md, "Linux
 * kernel client specifics"; docs/devices.md): the backend is served in-process on one end of a
 * socketpair, the kernel gets the other end, and {@code <devdir>/<providerName>} is a symlink to
 * {@code /dev/nbdN}. No handshake happens at all: the handshake is userspace's business, and we
 * already know the size and flags it would have produced.
 *
 * <p>The kernel end is handed over through the driver's generic-netlink interface when the
 * kernel has it (Linux 4.12 and later), with a dead-connection timeout: when the worker dies,
 * the device stays and its requests wait, and the next worker for the resource finds the device
 * through the symlink and gives it a new socket ({@code NBD_CMD_RECONFIGURE}); what was in
 * flight is sent again (the kernel requeues it) and served like any request. This is what
 * FreeBSD's worker does with {@code G_GATE_CMD_CANCEL}. Without the netlink family the ioctls
 * are used, and a dead worker takes its device with it:
 *
 * <pre>
 *   attach: socketpair(AF_UNIX, SOCK_STREAM)
 *           our end   -> EpollDomainSocketChannel + NbdTransmission (on an epoll event loop)
 *   netlink (NbdNetlinkDevices):
 *           <devdir>/<name> -> /dev/nbdN still configured, size ours: NBD_CMD_RECONFIGURE(N, kernel end)
 *           else NBD_CMD_CONNECT(size, block size, flags, timeouts, backend id, kernel end)
 *           detach: unlink; fsync; NBD_CMD_DISCONNECT (requests still queued fail)
 *   ioctl:  open /dev/nbdN (first free one)
 *           NBD_SET_SOCK(kernel end)   claims the device; EBUSY = another task got it, try the next
 *           NBD_SET_FLAGS, NBD_SET_BLKSIZE, NBD_SET_SIZE_BLOCKS, NBD_SET_TIMEOUT
 *           NBD_DO_IT on its own thread (returns when the connection ends)
 *           wait for /sys/block/nbdN/pid and the size, cap max_sectors_kb, symlink
 *   detach: unlink; fsync; NBD_DISCONNECT (the kernel sends DISC, the server closes when drained)
 *           -> DO_IT returns -> NBD_CLEAR_SOCK on the DO_IT thread; NBD_CLEAR_SOCK from here if it
 *           does not return in time; close /dev/nbdN, the channel, the event loop
 *   abort:  close our end first, then detach (NBD_CMD_DISCONNECT or NBD_CLEAR_SOCK: the kernel
 *           fails what is outstanding with EIO)
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
    /**
     * How long requests wait for a new connection after the worker died (netlink only): long
     * enough for hastd to restart the worker (1 s delay plus a JVM start and the worker's own
     * start, 30 s and more under emulation), short enough that a worker that never comes back
     * does not hang the file system for ever (its requests then fail with EIO).
     */
    public static final int DEFAULT_DEAD_CONNECTION_SECONDS = 120;
    /** How long DO_IT may take to bring the device up (partition scan reads through us). */
    static final long READY_TIMEOUT_MILLIS = 10_000;
    /** How long a disconnect may take to drain requests in flight before the socket is cut. */
    static final long DISCONNECT_WAIT_MILLIS = 5_000;
    private static final long POLL_MILLIS = 5;

    private final Path devdir;
    private final NbdDevices devices;
    private final int timeoutSeconds;
    private final int deadConnectionSeconds;
    private final int maxRequestKb;
    private final EventLoopGroup sharedGroup;
    private final boolean netlinkAllowed;

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
    /** The netlink interface the device was configured through, or null (ioctls, or not attached). */
    private NbdNetlinkDevices netlink;

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
        this(devdir, NbdDevices.system(), group, timeoutSeconds, DEFAULT_DEAD_CONNECTION_SECONDS, maxRequestKb,
                true);
    }

    /**
     * @param deadConnectionSeconds how long requests wait for a successor after the worker died
     * @param netlinkAllowed        false to use the ioctls even where netlink is there
     */
    public KernelNbdBridge(Path devdir, int timeoutSeconds, int deadConnectionSeconds, boolean netlinkAllowed) {
        this(devdir, NbdDevices.system(), null, timeoutSeconds, deadConnectionSeconds, DEFAULT_MAX_REQUEST_KB,
                netlinkAllowed);
    }

    KernelNbdBridge(Path devdir, NbdDevices devices, EventLoopGroup group, int timeoutSeconds, int maxRequestKb) {
        this(devdir, devices, group, timeoutSeconds, DEFAULT_DEAD_CONNECTION_SECONDS, maxRequestKb, false);
    }

    private KernelNbdBridge(Path devdir, NbdDevices devices, EventLoopGroup group, int timeoutSeconds,
                            int deadConnectionSeconds, int maxRequestKb, boolean netlinkAllowed) {
        if (timeoutSeconds <= 0 || maxRequestKb < 0 || deadConnectionSeconds <= 0) {
            throw new IllegalArgumentException("timeoutSeconds and deadConnectionSeconds must be positive and "
                    + "maxRequestKb not negative: " + timeoutSeconds + ", " + deadConnectionSeconds + ", "
                    + maxRequestKb);
        }
        this.devdir = devdir.toAbsolutePath().normalize();
        this.devices = devices;
        this.sharedGroup = group;
        this.timeoutSeconds = timeoutSeconds;
        this.deadConnectionSeconds = deadConnectionSeconds;
        this.maxRequestKb = maxRequestKb;
        this.netlinkAllowed = netlinkAllowed;
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
            // Kernel NBD is Linux's: Linux's numbers.
            org.hast.platform.SocketConstants sockets = org.hast.platform.host.HostPlatform.current().sockets();
            if (SocketLibC.get().socketpair(sockets.afUnix(), sockets.sockStream() | sockets.sockCloexec(),
                    0, pair) < 0) {
                throw new IOException(SocketLibC.failure("Unable to create a socket pair for kernel NBD"));
            }
            kernelEnd = pair[1];
            serve(pair[0], export);
            netlink = netlinkAllowed ? NbdNetlinkDevices.openOrNull(devices, timeoutSeconds, deadConnectionSeconds)
                    : null;
            if (netlink != null) {
                index = netlink.attach(providerName, devdir, kernelEnd, blocks * blockSize, blockSize,
                        export.transmissionFlags());
            } else {
                KernelNbdCleanup.cleanupStale(providerName, devdir, devices);
                claimDevice(kernelEnd);
            }
            // The kernel took its own reference to the socket (sockfd_lookup): ours can go.
            SocketDescriptors.closeQuietly(kernelEnd);
            kernelEnd = -1;
            if (netlink == null) {
                NbdLibC libc = NbdLibC.get();
                ioctl(libc, NbdIoctl.SET_FLAGS, export.transmissionFlags());
                ioctl(libc, NbdIoctl.SET_BLKSIZE, blockSize);
                ioctl(libc, NbdIoctl.SET_SIZE_BLOCKS, blocks);
                ioctl(libc, NbdIoctl.SET_TIMEOUT, timeoutSeconds);
                startDoIt();
            }
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
        LOG.info("{} -> {} {} ({} blocks of {} bytes, flags 0x{}, timeout {} s{}) in {} ms.", link, linkTarget,
                netlink != null && netlink.recovered() ? "recovered" : "created", blocks, blockSize,
                Integer.toHexString(export.transmissionFlags()),
                timeoutSeconds, netlink == null ? ", ioctls" : ", netlink, dead connection " + deadConnectionSeconds
                + " s", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
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
            if (doItDone != null && doItDone.getCount() == 0) {
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
        if (netlink != null) {
            try {
                if (index >= 0) {
                    Channel served = channel;
                    netlink.disconnect(index, !aborted && served != null && served.isActive());
                }
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
            netlink.close();
            netlink = null;
            index = -1;
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
        KernelNbdCleanup.cleanupStale(name, devdir.toAbsolutePath().normalize(), NbdDevices.system());
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
