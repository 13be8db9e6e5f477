package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import org.hast.device.netlink.NbdNetlink;
import org.hast.device.netlink.NetlinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The netlink half of {@link KernelNbdBridge} (docs/devices.md): configures a device with a
 * dead-connection timeout, takes over the one an earlier worker left behind (FreeBSD's
 * {@code G_GATE_CMD_CANCEL}), and disconnects on a deliberate stop.
 */
final class NbdNetlinkDevices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdNetlinkDevices.class);
    /** How long a successor waits for the kernel to see that the old connection died. */
    static final long TAKE_OVER_WAIT_MILLIS = 5_000;
    private static final long RETRY_MILLIS = 100;
    private static final int ENOSPC = 28;

    private final NbdNetlink netlink;
    private final NbdDevices devices;
    private final int timeoutSeconds;
    private final int deadConnectionSeconds;
    private boolean recovered;

    private NbdNetlinkDevices(NbdNetlink netlink, NbdDevices devices, int timeoutSeconds, int deadConnectionSeconds) {
        this.netlink = netlink;
        this.devices = devices;
        this.timeoutSeconds = timeoutSeconds;
        this.deadConnectionSeconds = deadConnectionSeconds;
    }

    /** The driver's netlink interface, or null (logged) when this kernel has none. */
    static NbdNetlinkDevices openOrNull(NbdDevices devices, int timeoutSeconds, int deadConnectionSeconds) {
        try {
            return new NbdNetlinkDevices(NbdNetlink.open(), devices, timeoutSeconds, deadConnectionSeconds);
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.info("No NBD netlink interface ({}); using the ioctls: a worker that dies takes the device with it.",
                    e.getMessage());
            return null;
        }
    }

    /**
     * Gives the device {@code link} points at, when an earlier worker left it behind, the
     * kernel end {@code kernelEnd}; else cleans up what is stale and configures a fresh device.
     * Returns the device's index.
     */
    int attach(String providerName, Path devdir, int kernelEnd, long sizeBytes, int blockSize, int flags)
            throws IOException {
        Path link = devdir.resolve(providerName);
        OptionalInt previous = takeOverCandidate(link, providerName, sizeBytes / 512);
        if (previous.isPresent()) {
            int candidate = previous.getAsInt();
            try {
                reconfigure(candidate, kernelEnd, providerName);
                recovered = true;
                LOG.warn("{}: nbd{} taken over from an earlier worker; its requests are served again.", link,
                        candidate);
                return candidate;
            } catch (IOException e) {
                LOG.warn("{}: nbd{} cannot be taken over ({}).", link, candidate, e.getMessage());
            }
        }
        KernelNbdCleanup.cleanupStale(providerName, devdir, devices);
        return netlink.connect(-1, new NbdNetlink.Settings(sizeBytes, blockSize, flags, timeoutSeconds,
                deadConnectionSeconds, backendId(providerName)), kernelEnd);
    }

    /** Whether the last attach took a device over. */
    boolean recovered() {
        return recovered;
    }

    /**
     * NBD_CMD_RECONFIGURE, retried for a moment on ENOSPC: the kernel replaces only a dead
     * socket, and it notices that the old one died (end of file on its receive side) only
     * shortly after the old worker's descriptors are closed.
     */
    private void reconfigure(int device, int kernelEnd, String providerName) throws IOException {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TAKE_OVER_WAIT_MILLIS);
        while (true) {
            try {
                netlink.reconfigure(device, kernelEnd, timeoutSeconds, deadConnectionSeconds,
                        backendId(providerName));
                return;
            } catch (NetlinkException e) {
                if (e.errno() != ENOSPC || System.nanoTime() - deadlineNs > 0) {
                    throw e;
                }
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while taking nbd" + device + " over", e);
            }
        }
    }

    /**
     * The device {@code link} points at when it is still configured with our size and, where
     * the kernel keeps one, our backend identifier.
     */
    private OptionalInt takeOverCandidate(Path link, String providerName, long sectors) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            return OptionalInt.empty();
        }
        OptionalInt candidate = devices.indexOf(Files.readSymbolicLink(link));
        if (candidate.isEmpty()) {
            return candidate;
        }
        int device = candidate.getAsInt();
        String backend = devices.backend(device);
        if (!netlink.connected(device) || devices.sizeSectors(device) != sectors
                || (backend != null && !backend.equals(backendId(providerName)))) {
            LOG.info("{}: nbd{} is not ours to take over (size {} sectors, backend {}).", link, device,
                    devices.sizeSectors(device), backend);
            return OptionalInt.empty();
        }
        return candidate;
    }

    /** What {@code /sys/block/nbdN/backend} says for a device of ours. */
    static String backendId(String providerName) {
        return "hast:" + providerName;
    }

    /**
     * A deliberate end (role change, shutdown, abort): nothing is to wait for a successor.
     * With {@code flushFirst} the device's page cache is written out first.
     */
    void disconnect(int index, boolean flushFirst) throws IOException {
        long startNs = System.nanoTime();
        if (flushFirst) {
            NbdLibC libc = NbdLibC.get();
            int fd = libc.open(devices.devicePath(index).toString(), NbdLibC.O_RDWR | NbdLibC.O_CLOEXEC);
            if (fd < 0 || libc.fsync(fd) < 0) {
                LOG.warn("nbd{}: fsync before disconnect failed: {}.", index, libc.strerror(NbdLibC.errno()));
            }
            if (fd >= 0) {
                libc.close(fd);
            }
        }
        try {
            netlink.disconnect(index);
        } catch (IOException e) {
            if (netlink.connected(index)) {
                throw e;
            }
            LOG.info("nbd{}: already disconnected ({}).", index, e.getMessage());
        }
        LOG.info("nbd{}: disconnected (NBD_CMD_DISCONNECT) in {} ms.", index,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    @Override
    public void close() {
        netlink.close();
    }
}
