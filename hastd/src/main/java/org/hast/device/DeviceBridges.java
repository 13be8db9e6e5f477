package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

import org.hast.conf.DeviceMode;
import org.hast.device.ggate.GgateBridge;
import org.hast.platform.host.HostPlatform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.block.DeviceBridge;

import io.netty.channel.EventLoopGroup;

/**
 * Picks the bridge for a resource's {@code device} setting (decisions §3). The decision is
 * pure over a {@link Probes} answer set so it can be tested; the caller does the attach.
 */
public final class DeviceBridges {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceBridges.class);

    /** Which bridge {@link #decide} chose. */
    public enum Kind {
        KERNEL_NBD,
        FUSE_LOOP,
        GGATE,
        NONE
    }

    /** What the machine offers. {@link #loadNbdModule()} is tried at most once per decision. */
    public interface Probes {
        boolean isLinux();

        /** This is FreeBSD, where GEOM Gate is the bridge. */
        default boolean isFreeBsd() {
            return false;
        }

        /** {@code /dev/nbd0} exists. */
        boolean nbdDevicePresent();

        /** {@code modprobe nbd} succeeded (tried quietly, once). */
        boolean loadNbdModule();

        /** {@code /dev/fuse} exists. */
        boolean fuseDevicePresent();

        /** An executable {@code tool} is on PATH (or in /sbin, /usr/sbin). */
        boolean toolPresent(String tool);
    }

    private DeviceBridges() {
    }

    /** The bridge for {@code mode} providing devices under {@code devdir}, or empty for none. */
    public static Optional<DeviceBridge> choose(DeviceMode mode, Path devdir) {
        return choose(mode, devdir, null);
    }

    /** As above; a kernel NBD device is served on {@code kernelLoop} (an epoll group) unless null. */
    public static Optional<DeviceBridge> choose(DeviceMode mode, Path devdir, EventLoopGroup kernelLoop) {
        return choose(mode, devdir, systemProbes(), LOG::warn, kernelLoop);
    }

    public static Optional<DeviceBridge> choose(DeviceMode mode, Path devdir, Probes probes, Consumer<String> warn) {
        return choose(mode, devdir, probes, warn, null);
    }

    private static Optional<DeviceBridge> choose(DeviceMode mode, Path devdir, Probes probes, Consumer<String> warn,
            EventLoopGroup kernelLoop) {
        return switch (decide(mode, probes, warn)) {
            case KERNEL_NBD -> Optional.of(kernelLoop == null ? new KernelNbdBridge(devdir)
                    : new KernelNbdBridge(devdir, kernelLoop, KernelNbdBridge.DEFAULT_TIMEOUT_SECONDS,
                            KernelNbdBridge.DEFAULT_MAX_REQUEST_KB));
            case FUSE_LOOP -> Optional.of(new FuseLoopBridge(devdir));
            case GGATE -> Optional.of(new GgateBridge()); // GEOM names it /dev/hast/<name> itself
            case NONE -> Optional.empty();
        };
    }

    /**
     * {@code none} → none. {@code fuse} → FUSE + loop (attach reports what is missing).
     * {@code nbd} → the kernel NBD bridge (attach reports a missing driver). {@code ggate} → GEOM
     * Gate (attach reports a missing {@code /dev/ggctl}). {@code auto}: GEOM Gate on FreeBSD; on
     * Linux the kernel NBD driver when {@code /dev/nbd0} exists or {@code nbd} loads, else FUSE + loop when /dev/fuse, nbdfuse and losetup are there, else
     * none with a warning.
     */
    public static Kind decide(DeviceMode mode, Probes probes, Consumer<String> warn) {
        switch (mode) {
            case NONE:
                return Kind.NONE;
            case FUSE:
                return Kind.FUSE_LOOP;
            case NBD:
                return Kind.KERNEL_NBD;
            case GGATE:
                return Kind.GGATE;
            case AUTO:
                break;
            default:
                throw new IllegalStateException("unknown device mode " + mode);
        }
        if (probes.isFreeBsd()) {
            return Kind.GGATE;
        }
        if (!probes.isLinux()) {
            warn.accept("device auto: no bridge for this system; no device is provided");
            return Kind.NONE;
        }
        if (probes.nbdDevicePresent() || (probes.loadNbdModule() && probes.nbdDevicePresent())) {
            return Kind.KERNEL_NBD;
        }
        String missing = fuseLoopMissing(probes);
        if (missing == null) {
            return Kind.FUSE_LOOP;
        }
        warn.accept("device auto: no kernel NBD and FUSE + loop needs " + missing + "; no device is provided");
        return Kind.NONE;
    }

    /** What FUSE + loop lacks here, or null when everything is present. */
    private static String fuseLoopMissing(Probes probes) {
        if (!probes.fuseDevicePresent()) {
            return "/dev/fuse";
        }
        for (String tool : List.of("nbdfuse", "losetup")) {
            if (!probes.toolPresent(tool)) {
                return tool;
            }
        }
        return null;
    }

    /** Probes of this machine. */
    public static Probes systemProbes() {
        return new Probes() {
            @Override
            public boolean isLinux() {
                return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
            }

            @Override
            public boolean isFreeBsd() {
                return HostPlatform.current().name().equals("freebsd");
            }

            @Override
            public boolean nbdDevicePresent() {
                return Files.exists(Paths.get("/dev/nbd0"));
            }

            @Override
            public boolean loadNbdModule() {
                try {
                    return ToolRunner.run(FuseLoopSystem.TOOL_TIMEOUT_MILLIS, List.of("modprobe", "-q", "nbd")).ok();
                } catch (IOException e) {
                    return false; // no modprobe at all: no module either
                }
            }

            @Override
            public boolean fuseDevicePresent() {
                return Files.exists(Paths.get("/dev/fuse"));
            }

            @Override
            public boolean toolPresent(String tool) {
                return FuseLoopSystem.onPath(tool);
            }
        };
    }
}
