package org.hast.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import org.hast.block.BlockBackend;

/**
 * What can be checked on a host without the nbd module: the ioctl numbers against the table of
 * shared/spec/nbd.md, the device scan and the stale-owner rules against a fake /sys, /dev and
 * /proc tree, the symlink rules, and that a failed attach undoes everything. The kernel path
 * itself runs in {@link KernelNbdQemuTest}.
 */
class KernelNbdBridgeTest {
    @TempDir
    Path root;
    private Path sys;
    private Path dev;
    private Path proc;
    private Path devdir;
    private NbdDevices devices;

    @BeforeEach
    void tree() throws IOException {
        sys = Files.createDirectories(root.resolve("sys"));
        dev = Files.createDirectories(root.resolve("dev"));
        proc = Files.createDirectories(root.resolve("proc"));
        Files.createDirectories(sys.resolve("block"));
        devdir = root.resolve("dev/hast");
        devices = new NbdDevices(sys, dev, proc);
    }

    /** A fake /sys/block/nbdN with {@code size} sectors, a DO_IT task or none, and /dev/nbdN. */
    private void nbd(int index, long size, Long task) throws IOException {
        Path dir = Files.createDirectories(sys.resolve("block/nbd" + index));
        Files.writeString(dir.resolve("size"), size + "\n");
        if (task != null) {
            Files.writeString(dir.resolve("pid"), task + "\n");
        }
        Files.createDirectories(dir.resolve("queue"));
        Files.writeString(dir.resolve("queue/max_sectors_kb"), "32768\n");
        Files.writeString(dev.resolve("nbd" + index), "");
    }

    /** A fake /proc/<tid> of process {@code tgid} running {@code argv}. */
    private void task(long tid, long tgid, String... argv) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(tid)));
        Files.writeString(dir.resolve("status"), "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" + tgid
                + "\nNgid:\t0\nPid:\t" + tid + "\n");
        Path process = Files.createDirectories(proc.resolve(Long.toString(tgid)));
        Files.writeString(process.resolve("cmdline"), String.join("\0", argv) + "\0");
    }

    // --- ioctl numbers ----------------------------------------------------------------------

    @Test
    void ioctlNumbersAreTheUapiTable() {
        // _IO(0xab, n): type in bits 8-15, number in 0-7, no size, no direction.
        assertEquals(0xAB00L, NbdIoctl.SET_SOCK);
        assertEquals(0xAB01L, NbdIoctl.SET_BLKSIZE);
        assertEquals(0xAB02L, NbdIoctl.SET_SIZE);
        assertEquals(0xAB03L, NbdIoctl.DO_IT);
        assertEquals(0xAB04L, NbdIoctl.CLEAR_SOCK);
        assertEquals(0xAB05L, NbdIoctl.CLEAR_QUE);
        assertEquals(0xAB06L, NbdIoctl.PRINT_DEBUG);
        assertEquals(0xAB07L, NbdIoctl.SET_SIZE_BLOCKS);
        assertEquals(0xAB08L, NbdIoctl.DISCONNECT);
        assertEquals(0xAB09L, NbdIoctl.SET_TIMEOUT);
        assertEquals(0xAB0AL, NbdIoctl.SET_FLAGS);
        assertThrows(IllegalArgumentException.class, () -> NbdIoctl.io(256));
    }

    @Test
    void ioctlNamesForMessages() {
        assertEquals("NBD_SET_SOCK", NbdIoctl.name(NbdIoctl.SET_SOCK));
        assertEquals("NBD_SET_FLAGS", NbdIoctl.name(NbdIoctl.SET_FLAGS));
        assertEquals("ioctl 0x1268", NbdIoctl.name(0x1268)); // BLKSSZGET is not ours
        assertEquals("ioctl 0xab0b", NbdIoctl.name(0xAB0B));
    }

    @Test
    void blockSizeIsTheSectorRaisedTo512AndAtMostAPage() {
        assertEquals(512, NbdIoctl.blockSizeFor(1));
        assertEquals(512, NbdIoctl.blockSizeFor(512));
        assertEquals(4096, NbdIoctl.blockSizeFor(4096));
        assertThrows(IllegalArgumentException.class, () -> NbdIoctl.blockSizeFor(8192));
        assertThrows(IllegalArgumentException.class, () -> NbdIoctl.blockSizeFor(520));
        assertThrows(IllegalArgumentException.class, () -> NbdIoctl.blockSizeFor(0));
    }

    // --- device scan ------------------------------------------------------------------------

    @Test
    void freeDevicesHaveNoTaskNoSizeAndANode() throws IOException {
        nbd(0, 131072, 4242L);   // connected
        nbd(1, 0, null);         // free
        nbd(2, 2048, null);      // being set up by someone (size set, no DO_IT yet)
        nbd(3, 0, 77L);          // DO_IT running, size not yet shown
        nbd(4, 0, null);         // free
        nbd(10, 0, null);        // free; sorts after 4, not after 1
        Files.delete(dev.resolve("nbd4")); // no node: not usable
        Files.createDirectories(sys.resolve("block/nbd1p1"));
        Files.createDirectories(sys.resolve("block/loop0"));
        assertEquals(List.of(0, 1, 2, 3, 4, 10), devices.indexes());
        assertEquals(List.of(1, 10), devices.freeIndexes());
        assertEquals(131072, devices.sizeSectors(0));
        assertEquals(-1, devices.sizeSectors(7));
        assertEquals(OptionalLong.of(4242), devices.doItTask(0));
        assertEquals(OptionalLong.empty(), devices.doItTask(1));
    }

    @Test
    void noNbdModuleMeansNoDevices() throws IOException {
        assertEquals(List.of(), devices.freeIndexes());
        NbdDevices none = new NbdDevices(root.resolve("nothing"), dev, proc);
        assertEquals(List.of(), none.indexes());
    }

    @Test
    void garbageInSysfsIsAnError() throws IOException {
        nbd(0, 0, null);
        Files.writeString(sys.resolve("block/nbd0/size"), "lots\n");
        IOException e = assertThrows(IOException.class, () -> devices.freeIndexes());
        assertTrue(e.getMessage().contains("nbd0/size"), e.getMessage());
    }

    @Test
    void indexOfAcceptsOnlyNbdNodesUnderDev() {
        assertEquals(OptionalInt.of(0), devices.indexOf(dev.resolve("nbd0")));
        assertEquals(OptionalInt.of(15), devices.indexOf(dev.resolve("nbd15")));
        assertEquals(OptionalInt.empty(), devices.indexOf(dev.resolve("nbd0p1")));
        assertEquals(OptionalInt.empty(), devices.indexOf(dev.resolve("nbd01")));
        assertEquals(OptionalInt.empty(), devices.indexOf(dev.resolve("loop0")));
        assertEquals(OptionalInt.empty(), devices.indexOf(root.resolve("elsewhere/nbd0")));
        assertEquals(OptionalInt.empty(), devices.indexOf(Paths.get("nbd0")));
    }

    @Test
    void requestSizeCapIsWrittenToSysfs() throws IOException {
        nbd(0, 0, null);
        assertTrue(devices.limitRequestSize(0, 128));
        assertEquals("128\n", Files.readString(sys.resolve("block/nbd0/queue/max_sectors_kb")));
        assertFalse(devices.limitRequestSize(9, 128));
    }

    @Test
    void taskToProcessThroughProcStatus() throws IOException {
        task(5001, 5000, "java", "-cp", "x", "hastd: disk0 (primary)");
        assertEquals(5000, devices.processOf(5001));
        assertEquals(-1, devices.processOf(6000));
        assertEquals("java -cp x hastd: disk0 (primary)", devices.commandLine(5000));
        assertEquals("", devices.commandLine(6000));
    }

    // --- stale devices ----------------------------------------------------------------------

    @Test
    void staleOwnerRules() throws IOException {
        long self = ProcessHandle.current().pid();
        nbd(0, 0, null);                 // free: nothing to do
        nbd(1, 2048, null);              // half set up by somebody who is gone
        nbd(2, 2048, 9001L);             // DO_IT task gone
        nbd(3, 2048, 9003L);             // this process
        task(9003, self, "java");
        nbd(4, 2048, 9005L);             // an earlier worker for disk0, still alive
        task(9005, 9004, "java", "hastd: disk0 (primary)");
        nbd(5, 2048, 9007L);             // a worker for another resource
        task(9007, 9006, "java", "hastd: disk01 (primary)");
        nbd(6, 2048, 9009L);             // nbd-client for something else
        task(9009, 9009, "nbd-client", "10.0.0.1", "/dev/nbd6");
        assertFalse(KernelNbdCleanup.staleOwner("disk0", 0, devices));
        assertTrue(KernelNbdCleanup.staleOwner("disk0", 1, devices));
        assertTrue(KernelNbdCleanup.staleOwner("disk0", 2, devices));
        assertTrue(KernelNbdCleanup.staleOwner("disk0", 3, devices));
        assertTrue(KernelNbdCleanup.staleOwner("disk0", 4, devices));
        assertFalse(KernelNbdCleanup.staleOwner("disk0", 5, devices));
        assertFalse(KernelNbdCleanup.staleOwner("disk0", 6, devices));
    }

    @Test
    void cleanupStaleRemovesOurSymlinkAndLeavesOthersDevicesAlone() throws IOException {
        nbd(6, 2048, 9009L);
        task(9009, 9009, "nbd-client");
        Files.createDirectories(devdir);
        Files.createSymbolicLink(devdir.resolve("disk0"), dev.resolve("nbd6"));
        KernelNbdCleanup.cleanupStale("disk0", devdir, devices);
        assertFalse(Files.exists(devdir.resolve("disk0"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void cleanupStaleOfADeadServerTriesTheIoctlsAndRemovesTheLink() throws IOException {
        // /dev/nbd2 here is a plain file: the ioctls fail with ENOTTY, which cleanup logs and
        // accepts (a dead device answers with errors too); the link goes either way.
        nbd(2, 2048, 9001L);
        Files.createDirectories(devdir);
        Files.createSymbolicLink(devdir.resolve("disk0"), dev.resolve("nbd2"));
        KernelNbdCleanup.cleanupStale("disk0", devdir, devices);
        assertFalse(Files.exists(devdir.resolve("disk0"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void cleanupStaleLeavesANonSymlinkAndIgnoresAMissingOne() throws IOException {
        Files.createDirectories(devdir);
        KernelNbdCleanup.cleanupStale("disk0", devdir, devices);
        Files.writeString(devdir.resolve("disk0"), "not ours");
        KernelNbdCleanup.cleanupStale("disk0", devdir, devices);
        assertEquals("not ours", Files.readString(devdir.resolve("disk0")));
        // A stale link to something that is no NBD device (a FUSE bridge's loop device): removed.
        Files.createSymbolicLink(devdir.resolve("disk1"), Paths.get("/dev/loop3"));
        KernelNbdCleanup.cleanupStale("disk1", devdir, devices);
        assertFalse(Files.exists(devdir.resolve("disk1"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertThrows(IllegalArgumentException.class, () -> KernelNbdCleanup.cleanupStale("../x", devdir, devices));
    }

    // --- symlink rules ----------------------------------------------------------------------

    @Test
    void linkIsCreatedWithItsDirectoryAndReplacesAStaleLink() throws IOException {
        Path link = devdir.resolve("disk0");
        ProviderLink.create(link, dev.resolve("nbd0"));
        assertEquals(dev.resolve("nbd0"), Files.readSymbolicLink(link));
        ProviderLink.create(link, dev.resolve("nbd1"));
        assertEquals(dev.resolve("nbd1"), Files.readSymbolicLink(link));
    }

    @Test
    void linkRefusesToReplaceANonSymlink() throws IOException {
        Files.createDirectories(devdir);
        Path link = devdir.resolve("disk0");
        Files.writeString(link, "a real file");
        IOException e = assertThrows(IOException.class, () -> ProviderLink.create(link, dev.resolve("nbd0")));
        assertTrue(e.getMessage().contains("not a symlink"), e.getMessage());
        assertEquals("a real file", Files.readString(link));
        Path dir = devdir.resolve("disk1");
        Files.createDirectory(dir);
        assertThrows(IOException.class, () -> ProviderLink.create(dir, dev.resolve("nbd0")));
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void linkIsRemovedOnlyWhileItPointsAtOurDevice() throws IOException {
        Path link = devdir.resolve("disk0");
        ProviderLink.create(link, dev.resolve("nbd0"));
        assertFalse(ProviderLink.removeIfPointsTo(link, dev.resolve("nbd1")));
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(ProviderLink.removeIfPointsTo(link, dev.resolve("nbd0")));
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(ProviderLink.removeIfPointsTo(link, dev.resolve("nbd0")));
    }

    // --- attach on a host without the driver ------------------------------------------------

    @Test
    void attachWithoutFreeDeviceFailsAndLeavesNothing() throws IOException {
        nbd(0, 2048, 4242L);
        KernelNbdBridge bridge = new KernelNbdBridge(devdir, devices, null, 30, 128);
        IOException e = assertThrows(IOException.class, () -> bridge.attach("disk0", new NullBackend(), "disk0"));
        assertTrue(e.getMessage().contains("no free NBD device"), e.getMessage());
        assertNull(bridge.devicePath());
        assertNull(bridge.nbdDevice());
        assertFalse(Files.exists(devdir.resolve("disk0"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        bridge.detach(); // idempotent
    }

    @Test
    void attachToSomethingThatIsNoNbdDeviceFailsOnSetSockAndUndoes() throws IOException {
        nbd(0, 0, null); // /dev/nbd0 is a plain file here: NBD_SET_SOCK gets ENOTTY
        KernelNbdBridge bridge = new KernelNbdBridge(devdir, devices, null, 30, 128);
        IOException e = assertThrows(IOException.class, () -> bridge.attach("disk0", new NullBackend(), "disk0"));
        assertTrue(e.getMessage().startsWith("NBD_SET_SOCK on " + dev.resolve("nbd0")), e.getMessage());
        assertNull(bridge.nbdDevice());
        assertFalse(Files.exists(devdir.resolve("disk0"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        // The bridge is reusable after a failed attach.
        assertThrows(IOException.class, () -> bridge.attach("disk0", new NullBackend(), "disk0"));
    }

    @Test
    void socketAttachIsRefusedAndBackendAttachChecksItsArguments() {
        KernelNbdBridge bridge = new KernelNbdBridge(devdir, devices, null, 30, 128);
        assertTrue(bridge.servesBackendDirectly());
        assertThrows(UnsupportedOperationException.class,
                () -> bridge.attach("disk0", Paths.get("/run/x.sock"), "disk0", 1 << 20));
        assertThrows(IllegalArgumentException.class, () -> bridge.attach("a/b", new NullBackend(), "a"));
        NullBackend tiny = new NullBackend();
        tiny.size = 511;
        assertThrows(IllegalArgumentException.class, () -> bridge.attach("disk0", tiny, "disk0"));
        NullBackend bigSectors = new NullBackend();
        bigSectors.sector = 8192;
        assertThrows(IllegalArgumentException.class, () -> bridge.attach("disk0", bigSectors, "disk0"));
        assertThrows(IllegalArgumentException.class, () -> new KernelNbdBridge(devdir, devices, null, 0, 128));
        assertFalse(new FuseLoopBridge(devdir).servesBackendDirectly());
        assertThrows(UnsupportedOperationException.class,
                () -> new FuseLoopBridge(devdir).attach("disk0", new NullBackend(), "disk0"));
    }

    /** Never called in these tests: attach fails before the kernel could send anything. */
    private static final class NullBackend implements BlockBackend {
        long size = 1 << 20;
        int sector = 512;

        @Override
        public long size() {
            return size;
        }

        @Override
        public int sectorSize() {
            return sector;
        }

        @Override
        public boolean flushCoversAllClients() {
            return false;
        }

        @Override
        public void read(long offset, int length, ByteBuf into, Completion done) {
            done.done(5);
        }

        @Override
        public void write(long offset, ByteBuf data, boolean fua, Completion done) {
            done.done(5);
        }

        @Override
        public void flush(Completion done) {
            done.done(5);
        }

        @Override
        public void trim(long offset, long length, Completion done) {
            done.done(5);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
            done.done(5);
        }
    }

}
