package org.hast.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.hast.platform.DiskIoctls;
import org.hast.platform.FileFlags;
import org.hast.platform.host.HostPlatform;
import org.hast.util.IoErrors;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.LongLongByReference;

/**
 * Size and sector size of a local component (spec §1.7, §2.2): a disk through the platform's
 * ioctls (Linux {@code BLKGETSIZE64}/{@code BLKSSZGET} on a block device, FreeBSD
 * {@code DIOCGMEDIASIZE}/{@code DIOCGSECTORSIZE} on a character device), a regular file through its length with a fixed
 * 512-byte sector. Anything else is refused, as the reference refuses non-GEOM providers.
 */
public record ProviderGeometry(long mediaSize, int sectorSize, boolean blockDevice) {
    public static final int FILE_SECTOR_SIZE = 512;
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFREG = 0100000;

    /**
     * Probes {@code path} with the platform's disk ioctls ({@code HostPlatform.current().disks()});
     * FreeBSD's disks are character devices.
     *
     * @throws IOException with a one-line message when the path cannot be opened or is neither a
     *     block device nor a regular file
     */
    public static ProviderGeometry probe(Path path, DiskIoctls disks) throws IOException {
        int mode;
        try {
            // Follows symbolic links: /dev/disk/by-id names are links to the device node.
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("Unable to open " + path + ": " + IoErrors.describe(e), e);
        }
        switch (mode & S_IFMT) {
            case S_IFREG:
                return new ProviderGeometry(Files.size(path), FILE_SECTOR_SIZE, false);
            case S_IFBLK:
                return probeDisk(path, disks);
            case S_IFCHR:
                if (disks.diskIsCharDev()) {
                    return probeDisk(path, disks);
                }
                throw new IOException(path + " is neither a block device nor a regular file.");
            default:
                throw new IOException(path + " is neither a block device nor a regular file.");
        }
    }

    private static ProviderGeometry probeDisk(Path path, DiskIoctls disks) throws IOException {
        LibC libc = LibC.get();
        FileFlags files = HostPlatform.current().files();
        int fd = libc.open(path.toString(), files.rdonly() | files.cloexec());
        if (fd < 0) {
            throw new IOException("Unable to open " + path + ": " + libc.strerror(LibC.errno()));
        }
        try {
            LongLongByReference size = new LongLongByReference();
            if (libc.ioctl(fd, disks.mediaSize(), size) < 0) {
                throw new IOException("Unable to obtain provider " + path + " mediasize: "
                        + libc.strerror(LibC.errno()));
            }
            Pointer sector = Memory.allocateDirect(LibC.Holder.RUNTIME, 4);
            if (libc.ioctl(fd, disks.sectorSize(), sector) < 0) {
                throw new IOException("Unable to obtain provider " + path + " sectorsize: "
                        + libc.strerror(LibC.errno()));
            }
            return new ProviderGeometry(size.getValue(), sector.getInt(0), true);
        } finally {
            libc.close(fd);
        }
    }
}
