package org.hast.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parsing and naming parts of the FUSE + loop bridge; no root needed. */
class FuseLoopBridgeHelpersTest {

    @Test
    void eachDevdirHasItsOwnRunBase() {
        assertEquals(FuseLoopBridge.DEFAULT_RUN_BASE, FuseLoopBridge.runBaseFor(Paths.get("/dev/hast")));
        Path a = FuseLoopBridge.runBaseFor(Paths.get("/srv/nodeA/dev"));
        Path b = FuseLoopBridge.runBaseFor(Paths.get("/srv/nodeB/dev"));
        assertFalse(a.equals(b), "two nodes on one machine must not share mount points: " + a);
        assertFalse(a.equals(FuseLoopBridge.DEFAULT_RUN_BASE));
        assertEquals(FuseLoopBridge.DEFAULT_RUN_BASE.getParent(), a.getParent());
        assertEquals(a, FuseLoopBridge.runBaseFor(Paths.get("/srv/nodeA/./dev")), "stable for one devdir");
    }

    @Test
    void mountInfoLineOfAnNbdfuseMount() {
        FuseLoopSystem.Mount mount = FuseLoopSystem.parseMountInfoLine(
                "42 27 0:39 / /run/hast/fuse/r0/mnt rw,nosuid,nodev,relatime - fuse /dev/fuse rw,user_id=0,group_id=0");
        assertEquals(new FuseLoopSystem.Mount(0, 39, Paths.get("/run/hast/fuse/r0/mnt"), "fuse"), mount);
        assertTrue(mount.isFuse());
        assertEquals(39, mount.fuseConnectionId());
    }

    @Test
    void optionalFieldsAndEscapedMountPoint() {
        // Two optional fields before "-", a space (\040) in the mount point, a fuse subtype.
        FuseLoopSystem.Mount mount = FuseLoopSystem.parseMountInfoLine(
                "50 27 0:300 / /tmp/a\\040b rw shared:7 master:1 - fuse.sshfs host: rw");
        assertEquals(Paths.get("/tmp/a b"), mount.mountPoint());
        assertEquals("fuse.sshfs", mount.fsType());
        assertTrue(mount.isFuse());
    }

    @Test
    void connectionIdUsesTheKernelsDevEncoding() {
        // fusectl names the directory "%u" of the kernel dev_t: major << 20 | minor.
        assertEquals((1L << 20) | 5, new FuseLoopSystem.Mount(1, 5, Paths.get("/x"), "fuse").fuseConnectionId());
        assertEquals(300, new FuseLoopSystem.Mount(0, 300, Paths.get("/x"), "fuse").fuseConnectionId());
        assertFalse(new FuseLoopSystem.Mount(8, 1, Paths.get("/"), "ext4").isFuse());
    }

    @Test
    void malformedMountInfoLinesAreSkipped() {
        assertNull(FuseLoopSystem.parseMountInfoLine(""));
        assertNull(FuseLoopSystem.parseMountInfoLine("1 2 x / /a rw - ext4"));
        assertNull(FuseLoopSystem.parseMountInfoLine("1 2 0:1 / /a rw shared:1"));
    }

    @Test
    void nbdfuseCommandCarriesExportNameAndEncodedSocket() {
        Path socket = Paths.get("/run/hast/r 0/nbd.sock");
        assertEquals("nbd+unix:///r0?socket=/run/hast/r%200/nbd.sock", FuseLoopBridge.nbdUnixUri(socket, "r0"));
        assertEquals("nbd+unix:///a%2Fb%3F?socket=/s", FuseLoopBridge.nbdUnixUri(Paths.get("/s"), "a/b?"));
        assertEquals(List.of("nbdfuse", "-P", "/r/nbdfuse.pid", "/r/mnt/disk", "nbd+unix:///?socket=/s"),
                FuseLoopBridge.nbdfuseCommand(Paths.get("/r/nbdfuse.pid"), Paths.get("/r/mnt/disk"),
                        Paths.get("/s"), ""));
    }

    @Test
    void providerNameIsOnePathComponent() {
        FuseLoopBridge.checkName("r0");
        for (String bad : new String[] {"", ".", "..", "a/b", "/r0"}) {
            assertThrows(IllegalArgumentException.class, () -> FuseLoopBridge.checkName(bad), bad);
        }
    }

    @Test
    void toolFailureIsOneLineWithToolCodeAndFirstStderrLine() throws Exception {
        ToolRunner.Result result = ToolRunner.run(5_000, List.of("sh", "-c", "echo first >&2; echo second >&2; exit 3"));
        assertEquals("sh exited 3: first", result.failureLine());
        assertEquals("ok\n", ToolRunner.check(5_000, List.of("sh", "-c", "echo ok")));
    }

    /**
     * A worker for the kernel NBD bridge runs the FUSE cleanup too (the mode may have changed):
     * it must leave a link to /dev/nbdN alone, or the device could not be taken over after a
     * crash (found in the qemu guest: the successor made a new device and fio saw EIO).
     */
    @Test
    void fuseCleanupLeavesTheKernelNbdLinkAlone(@TempDir Path dir) throws Exception {
        Path devdir = dir.resolve("dev-hast");
        Path runBase = dir.resolve("run");
        Files.createDirectories(devdir);
        Path nbdLink = Files.createSymbolicLink(devdir.resolve("r0"), Paths.get("/dev/nbd3"));
        Path loopLink = Files.createSymbolicLink(devdir.resolve("r1"), Paths.get("/dev/loop7"));
        FuseLoopBridge.cleanupStale("r0", devdir, runBase);
        FuseLoopBridge.cleanupStale("r1", devdir, runBase);
        assertTrue(Files.isSymbolicLink(nbdLink), "the kernel NBD link was removed");
        assertFalse(Files.exists(loopLink, LinkOption.NOFOLLOW_LINKS), "the loop link was left");
        assertTrue(FuseLoopCleanup.isKernelNbdDevice(Paths.get("/dev/nbd12")));
        assertFalse(FuseLoopCleanup.isKernelNbdDevice(Paths.get("/dev/nbd12p1")));
        assertFalse(FuseLoopCleanup.isKernelNbdDevice(Paths.get("/tmp/nbd1")));
    }
}
