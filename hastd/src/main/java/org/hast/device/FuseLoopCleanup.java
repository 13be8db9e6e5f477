package org.hast.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a crashed {@link FuseLoopBridge} left behind, in the order that cannot block:
 * the FUSE connection is aborted before anything touches the loop device or the mount, because
 * the export that served them died with the old worker.
 */
final class FuseLoopCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(FuseLoopCleanup.class);
    private static final long EXIT_WAIT_MILLIS = 3_000;

    private FuseLoopCleanup() {
    }

    /** {@code /dev/nbdN}, where the kernel NBD bridge's symlinks point. */
    static boolean isKernelNbdDevice(Path target) {
        Path file = target.getFileName();
        return file != null && file.toString().matches("nbd[0-9]+")
                && Paths.get("/dev").equals(target.toAbsolutePath().normalize().getParent());
    }

    static void cleanupStale(String name, Path devdir, Path runBase) throws IOException {
        FuseLoopBridge.checkName(name);
        List<Exception> failures = new ArrayList<>();

        Path link = devdir.resolve(name);
        try {
            if (Files.isSymbolicLink(link) && isKernelNbdDevice(Files.readSymbolicLink(link))) {
                // The kernel NBD bridge's: it may take that device over (KernelNbdBridge), or
                // cleans it up itself.
                LOG.debug("{} -> {} is a kernel NBD device; left to the kernel NBD bridge.", link,
                        Files.readSymbolicLink(link));
            } else if (Files.isSymbolicLink(link)) {
                LOG.warn("Removing stale symlink {} -> {}.", link, Files.readSymbolicLink(link));
                Files.delete(link);
            } else if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                LOG.warn("{} is not a symlink; left in place (attach will refuse it).", link);
            }
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }

        Path runDir = FuseLoopBridge.runDir(Files.isDirectory(runBase) ? runBase.toRealPath() : runBase, name);
        Path mnt = FuseLoopBridge.mountPoint(runDir);
        try {
            FuseLoopSystem.Mount mount = FuseLoopSystem.findMount(mnt);
            if (mount != null && mount.isFuse()) {
                boolean aborted = FuseLoopSystem.abortFuseConnection(mount.fuseConnectionId());
                LOG.warn("Stale FUSE mount {}: connection {} {}.", mnt, mount.fuseConnectionId(),
                        aborted ? "aborted" : "already gone");
            }
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }

        try {
            for (String loop : FuseLoopSystem.loopDevicesBackedUnder(mnt)) {
                LOG.warn("Unbinding stale loop device {} ({}).", loop, FuseLoopSystem.loopBackingFile(loop));
                FuseLoopSystem.detachLoop(loop, mnt);
            }
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }

        try {
            FuseLoopSystem.unmountFuse(mnt);
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }

        try {
            stopStaleNbdfuse(runDir.resolve(FuseLoopBridge.PID_FILE), mnt);
        } catch (IOException | RuntimeException e) {
            failures.add(e);
        }

        if (failures.isEmpty() && Files.isDirectory(runDir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                FuseLoopBridge.removeRunDir(runDir);
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            }
        }

        if (!failures.isEmpty()) {
            Exception firstFailure = failures.get(0);
            IOException first = firstFailure instanceof IOException io
                    ? io : new IOException(firstFailure.getMessage(), firstFailure);
            for (int i = 1; i < failures.size(); i++) {
                first.addSuppressed(failures.get(i));
            }
            throw first;
        }
    }

    /**
     * Ends the nbdfuse named in the old pid file, but only when its command line still names
     * our mount point: the PID may have been reused by anything since the crash.
     */
    private static void stopStaleNbdfuse(Path pidFile, Path mnt) throws IOException {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return;
        } catch (NumberFormatException e) {
            LOG.warn("{} holds no PID; ignored.", pidFile);
            return;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return;
        }
        String cmdline;
        try {
            cmdline = Files.readString(Paths.get("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (NoSuchFileException e) {
            return;
        }
        if (!cmdline.contains("nbdfuse") || !cmdline.contains(mnt.toString() + "/")) {
            LOG.warn("PID {} from {} is now '{}', not our nbdfuse; left alone.", pid, pidFile, cmdline.strip());
            return;
        }
        LOG.warn("Ending stale nbdfuse (pid {}).", pid);
        ProcessHandle process = handle.get();
        process.destroy();
        if (waitExit(process)) {
            return;
        }
        process.destroyForcibly();
        if (!waitExit(process)) {
            throw new IOException("stale nbdfuse (pid " + pid + ") did not exit after SIGKILL");
        }
    }

    private static boolean waitExit(ProcessHandle process) throws IOException {
        try {
            process.onExit().get(EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !process.isAlive();
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for nbdfuse to exit", e);
        }
    }
}
