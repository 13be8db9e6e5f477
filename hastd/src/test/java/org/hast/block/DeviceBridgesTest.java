package org.hast.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.hast.conf.DeviceMode;
import org.junit.jupiter.api.Test;
import org.hast.device.FuseLoopBridge;
import org.hast.device.DeviceBridges;
import org.hast.device.KernelNbdBridge;

class DeviceBridgesTest {

    /** A machine described by hand; counts the modprobe attempts. */
    private static final class FakeProbes implements DeviceBridges.Probes {
        boolean linux = true;
        boolean freebsd;
        boolean nbd0;
        boolean modprobeWorks;
        boolean fuse = true;
        Set<String> tools = new HashSet<>(Set.of("nbdfuse", "losetup"));
        int modprobeCalls;

        @Override
        public boolean isLinux() {
            return linux;
        }

        @Override
        public boolean isFreeBsd() {
            return freebsd;
        }

        @Override
        public boolean nbdDevicePresent() {
            return nbd0;
        }

        @Override
        public boolean loadNbdModule() {
            modprobeCalls++;
            if (modprobeWorks) {
                nbd0 = true;
            }
            return modprobeWorks;
        }

        @Override
        public boolean fuseDevicePresent() {
            return fuse;
        }

        @Override
        public boolean toolPresent(String tool) {
            return tools.contains(tool);
        }
    }

    private final List<String> warnings = new ArrayList<>();

    private DeviceBridges.Kind decide(DeviceMode mode, FakeProbes probes) {
        return DeviceBridges.decide(mode, probes, warnings::add);
    }

    @Test
    void noneIsNoneWithoutProbingOrWarning() {
        FakeProbes probes = new FakeProbes();
        assertEquals(DeviceBridges.Kind.NONE, decide(DeviceMode.NONE, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void fuseIsFuseEvenWhenToolsAreMissing() {
        // An explicit choice is obeyed; attach then says which tool is missing.
        FakeProbes probes = new FakeProbes();
        probes.tools.clear();
        probes.fuse = false;
        assertEquals(DeviceBridges.Kind.FUSE_LOOP, decide(DeviceMode.FUSE, probes));
        assertEquals(0, probes.modprobeCalls);
    }

    @Test
    void nbdIsTheKernelBridgeWithoutProbing() {
        // An explicit choice is obeyed; attach then says what is missing (no free /dev/nbdN).
        FakeProbes probes = new FakeProbes();
        assertEquals(DeviceBridges.Kind.KERNEL_NBD, decide(DeviceMode.NBD, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void ggateIsGeomGateWithoutProbing() {
        FakeProbes probes = new FakeProbes();
        assertEquals(DeviceBridges.Kind.GGATE, decide(DeviceMode.GGATE, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoOnFreeBsdIsGeomGate() {
        FakeProbes probes = new FakeProbes();
        probes.linux = false;
        probes.freebsd = true;
        assertEquals(DeviceBridges.Kind.GGATE, decide(DeviceMode.AUTO, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoWithoutNbdTriesModprobeOnceThenUsesFuse() {
        FakeProbes probes = new FakeProbes();
        assertEquals(DeviceBridges.Kind.FUSE_LOOP, decide(DeviceMode.AUTO, probes));
        assertEquals(1, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoWithNbd0PresentUsesTheKernelBridgeWithoutModprobe() {
        FakeProbes probes = new FakeProbes();
        probes.nbd0 = true;
        assertEquals(DeviceBridges.Kind.KERNEL_NBD, decide(DeviceMode.AUTO, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoWhereModprobeLoadsNbdUsesTheKernelBridge() {
        FakeProbes probes = new FakeProbes();
        probes.modprobeWorks = true;
        assertEquals(DeviceBridges.Kind.KERNEL_NBD, decide(DeviceMode.AUTO, probes));
        assertEquals(1, probes.modprobeCalls);
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoPrefersKernelNbdEvenWithoutFuse() {
        FakeProbes probes = new FakeProbes();
        probes.nbd0 = true;
        probes.fuse = false;
        probes.tools.clear();
        assertEquals(DeviceBridges.Kind.KERNEL_NBD, decide(DeviceMode.AUTO, probes));
        assertEquals(List.of(), warnings);
    }

    @Test
    void autoWithoutFuseDeviceIsNoneWithOneWarning() {
        FakeProbes probes = new FakeProbes();
        probes.fuse = false;
        assertEquals(DeviceBridges.Kind.NONE, decide(DeviceMode.AUTO, probes));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("/dev/fuse"), warnings.get(0));
    }

    @Test
    void autoWithoutNbdfuseOrLosetupNamesTheMissingTool() {
        for (String missing : List.of("nbdfuse", "losetup")) {
            warnings.clear();
            FakeProbes probes = new FakeProbes();
            probes.tools.remove(missing);
            assertEquals(DeviceBridges.Kind.NONE, decide(DeviceMode.AUTO, probes));
            assertEquals(1, warnings.size());
            assertTrue(warnings.get(0).contains("needs " + missing), warnings.get(0));
        }
    }

    @Test
    void autoOffLinuxIsNoneWithWarning() {
        FakeProbes probes = new FakeProbes();
        probes.linux = false;
        assertEquals(DeviceBridges.Kind.NONE, decide(DeviceMode.AUTO, probes));
        assertEquals(0, probes.modprobeCalls);
        assertEquals(1, warnings.size());
    }

    @Test
    void chooseBuildsTheKernelOrFuseBridgeOrNothing() {
        FakeProbes probes = new FakeProbes();
        assertInstanceOf(KernelNbdBridge.class,
                DeviceBridges.choose(DeviceMode.NBD, Paths.get("/dev/hast"), probes, warnings::add).orElseThrow());
        assertInstanceOf(FuseLoopBridge.class,
                DeviceBridges.choose(DeviceMode.FUSE, Paths.get("/dev/hast"), probes, warnings::add).orElseThrow());
        assertInstanceOf(org.hast.device.ggate.GgateBridge.class,
                DeviceBridges.choose(DeviceMode.GGATE, Paths.get("/dev/hast"), probes, warnings::add).orElseThrow());
        assertTrue(DeviceBridges.choose(DeviceMode.NONE, Paths.get("/dev/hast"), probes, warnings::add).isEmpty());
    }
}
