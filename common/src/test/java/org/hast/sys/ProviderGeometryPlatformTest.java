package org.hast.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.hast.platform.freebsd.FreeBsdPlatform;
import org.hast.platform.linux.LinuxPlatform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProviderGeometry} with either platform's disk ioctls: Linux refuses a character device,
 * FreeBSD (whose disks are character devices) asks it for its media size with
 * {@code DIOCGMEDIASIZE}, which /dev/null on Linux answers with ENOTTY.
 */
class ProviderGeometryPlatformTest {
    private static final Path DEV_NULL = Paths.get("/dev/null");

    @Test
    void regularFileIsItsLengthWith512ByteSectorsOnBoth(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("component");
        Files.write(file, new byte[8192]);
        for (var disks : new org.hast.platform.DiskIoctls[] {
            LinuxPlatform.forArch("amd64").disks(), new FreeBsdPlatform().disks()}) {
            ProviderGeometry geometry = ProviderGeometry.probe(file, disks);
            assertEquals(8192, geometry.mediaSize());
            assertEquals(512, geometry.sectorSize());
            assertFalse(geometry.blockDevice());
        }
    }

    @Test
    void characterDeviceIsRefusedOnLinuxAndAskedForItsSizeOnFreeBsd() {
        IOException linux = assertThrows(IOException.class,
                () -> ProviderGeometry.probe(DEV_NULL, LinuxPlatform.forArch("amd64").disks()));
        assertEquals("/dev/null is neither a block device nor a regular file.", linux.getMessage());
        IOException freebsd = assertThrows(IOException.class,
                () -> ProviderGeometry.probe(DEV_NULL, new FreeBsdPlatform().disks()));
        assertTrue(freebsd.getMessage().startsWith("Unable to obtain provider /dev/null mediasize: "),
                freebsd.getMessage());
    }
}
