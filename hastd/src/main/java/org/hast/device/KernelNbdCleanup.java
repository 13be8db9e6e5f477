package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.hast.device.netlink.NbdNetlink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a kernel NBD device left behind by an earlier worker is turned into before a new
 * attachment: disconnected when it is ours, left alone when someone else serves it.
 */
final class KernelNbdCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(KernelNbdCleanup.class);

    private KernelNbdCleanup() {
    }

    /**
     * What a restarted worker calls before attaching. When {@code <devdir>/<name>} is a symlink
     * to {@code /dev/nbdN} whose DO_IT task is dead, belongs to this process, or belongs to a
     * worker for {@code name} (command line {@code hastd: <name> (}), that device is
     * disconnected (NBD_DISCONNECT, then NBD_CLEAR_SOCK, which also fails its queued I/O); a
     * device now used by anybody else is left alone. Then the symlink goes. A non-symlink is
     * left in place (attach refuses it). A missing piece is not an error.
     *
     * <p>A device configured by ioctl is freed by the kernel when its worker dies, unless
     * something holds it open (a mounted file system); one configured through netlink stays
     * until it is disconnected, and {@link KernelNbdBridge} takes it over instead of calling
     * this when it can.
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
                disconnectStale(devices.devicePath(stale.getAsInt()), stale.getAsInt(), devices.isSystem());
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

    /**
     * NBD_CMD_DISCONNECT where netlink is there (the only way to release a device configured
     * through it), then NBD_DISCONNECT and NBD_CLEAR_SOCK for one configured by ioctl.
     */
    static void disconnectStale(Path node, int index, boolean viaNetlink) throws IOException {
        if (viaNetlink) {
            try (NbdNetlink netlink = NbdNetlink.open()) {
                netlink.disconnect(index);
                LOG.warn("Disconnected stale {} (NBD_CMD_DISCONNECT).", node);
            } catch (IOException e) {
                LOG.debug("NBD_CMD_DISCONNECT of {}: {}.", node, e.getMessage());
            }
        }
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

}
