package org.hast.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.HastAddress;
import org.hast.conf.ResourceConfig;
import org.hast.block.BlockBackend;
import org.hast.block.DeviceBridge;
import org.hast.device.DeviceBridges;
import org.hast.device.FuseLoopBridge;
import org.hast.device.KernelNbdBridge;
import org.hast.device.ggate.GgateBridge;
import org.hast.device.nbd.NbdServer;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.role.WorkerExit;

/**
 * {@code <devdir>/<name>} for a primary worker (decisions §3–§4): the bridge chosen by the
 * {@code device} setting: the kernel NBD bridge serves the I/O path in-process; the FUSE bridge
 * is fed by the resource's NBD export when that is a Unix socket, else by a private export in
 * {@code /run/hast/nbd}. Leftovers of a crashed predecessor are
 * cleaned first. With {@code device auto} a failure only costs the device (logged); with an
 * explicit bridge the worker cannot do what it was configured for and exits.
 */
final class PrimaryDevice implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryDevice.class);
    static final Path PRIVATE_EXPORTS = Paths.get("/run/hast/nbd");

    private final DeviceBridge bridge;
    private final NbdServer privateExport;

    private PrimaryDevice(DeviceBridge bridge, NbdServer privateExport) {
        this.bridge = bridge;
        this.privateExport = privateExport;
    }

    /** The device, or null when none is configured or {@code auto} found no way to make one. */
    static PrimaryDevice open(ResourceConfig config, Path devdir, BlockBackend backend, WorkerLoops loops)
            throws WorkerExit {
        Optional<DeviceBridge> chosen;
        try {
            chosen = DeviceBridges.choose(config.device(), devdir, loops.kernelDevice());
        } catch (UnsupportedOperationException e) {
            throw new WorkerExit(SysExits.EX_CONFIG, e.getMessage() + ".");
        }
        if (chosen.isEmpty()) {
            return null;
        }
        DeviceBridge bridge = chosen.get();
        NbdServer own = null;
        try {
            // A crashed predecessor may have left either kind behind (the mode may have changed).
            // The kernel bridge looks at its own leftovers itself: it takes a device over when
            // it can, so that requests waiting in the kernel survive the crash.
            // GEOM Gate takes its own unit over by name and has no Linux leftovers to look for.
            if (!(bridge instanceof GgateBridge)) {
                FuseLoopBridge.cleanupStale(config.providerName(), devdir);
            }
            if (!(bridge instanceof KernelNbdBridge) && !(bridge instanceof GgateBridge)) {
                KernelNbdBridge.cleanupStale(config.providerName(), devdir);
            }
            if (bridge.servesBackendDirectly()) {
                bridge.attach(config.providerName(), backend, config.name());
                LOG.info("Device {} created.", bridge.devicePath());
                return new PrimaryDevice(bridge, null);
            }
            // nbdfuse speaks no TLS: with TLS on the export the bridge gets a private socket.
            Path socket = config.exportTls().enabled() ? null : unixExport(config.exportAddress());
            if (socket == null) {
                Files.createDirectories(PRIVATE_EXPORTS);
                Files.setPosixFilePermissions(PRIVATE_EXPORTS, PosixFilePermissions.fromString("rwx------"));
                socket = PRIVATE_EXPORTS.resolve(config.name() + ".sock");
                own = NbdServer.start("uds://" + socket, config.name(), backend, ExportTls.NONE, loops.clients());
            }
            bridge.attach(config.providerName(), socket, config.name(), backend.size());
            LOG.info("Device {} created.", bridge.devicePath());
            return new PrimaryDevice(bridge, own);
        } catch (IOException | RuntimeException e) {
            safeDetach(bridge);
            if (own != null) {
                own.close();
            }
            String why = "Unable to create " + devdir.resolve(config.providerName()) + ": " + e.getMessage();
            if (config.device() == DeviceMode.AUTO) {
                LOG.warn("{}; going on without it.", why);
                return null;
            }
            throw new WorkerExit(SysExits.EX_OSERR, why + ".");
        }
    }

    /** The socket path of a Unix-socket export address, or null for none or TCP. */
    private static Path unixExport(String exportAddress) {
        if (exportAddress.isEmpty()) {
            return null;
        }
        try {
            HastAddress parsed = HastAddress.parse(exportAddress, 10809);
            return parsed.isUds() ? Paths.get(parsed.path()) : null;
        } catch (org.hast.conf.AddressException e) {
            return null;
        }
    }

    /** A worker that exits on purpose: the device goes first (decisions §4), then the export. */
    @Override
    public void close() {
        safeDetach(bridge);
        if (privateExport != null) {
            privateExport.close();
        }
    }

    private static void safeDetach(DeviceBridge bridge) {
        try {
            bridge.detach();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Unable to remove {}: {}.", bridge.devicePath(), e.getMessage());
        }
    }
}
