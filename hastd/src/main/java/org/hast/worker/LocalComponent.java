package org.hast.worker;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.meta.MetadataException;
import org.hast.platform.DiskIoctls;
import org.hast.platform.Platform;
import org.hast.platform.host.HostPlatform;
import org.hast.sys.ErrnoException;
import org.hast.sys.LibC;
import org.hast.sys.ProviderGeometry;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's local component (spec §6, §3.7): opened read-write and locked with a non-blocking
 * exclusive {@code flock} so that two workers can never use one provider, with its metadata
 * area read and rewritten here.
 */
public final class LocalComponent implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalComponent.class);
    private static final int EWOULDBLOCK = 11;
    private static final int EOPNOTSUPP = 95;

    private final Path path;
    private final ProviderGeometry geometry;
    private final FileChannel channel;
    private final int lockFd;
    /** Set once the component said it cannot flush its cache (EOPNOTSUPP latch, spec §11.3). */
    private volatile boolean flushUnsupported;

    private LocalComponent(Path path, ProviderGeometry geometry, FileChannel channel, int lockFd) {
        this.path = path;
        this.geometry = geometry;
        this.channel = channel;
        this.lockFd = lockFd;
    }

    /** Opens and locks {@code path}; failures carry the reference's messages. */
    public static LocalComponent open(Path path) throws IOException {
        ProviderGeometry geometry = ProviderGeometry.probe(path, HostPlatform.current().disks());
        LOG.debug("Obtained info about {}.", path);
        LibC libc = LibC.get();
        int fd = libc.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("Unable to open " + path + ": " + libc.strerror(LibC.errno()) + ".");
        }
        if (libc.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) < 0) {
            int errno = LibC.errno();
            if (errno != EOPNOTSUPP) {
                libc.close(fd);
                String why = errno == EWOULDBLOCK ? "Resource temporarily unavailable" : libc.strerror(errno);
                throw new IOException("Unable to lock " + path + ": " + why + ".");
            }
            LOG.warn("Unable to lock {} (operation not supported), but continuing.", path);
        } else {
            LOG.debug("Locked {}.", path);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            libc.close(fd);
            throw new IOException("Unable to open " + path + ": " + IoErrors.describe(e) + ".", e);
        }
        return new LocalComponent(path, geometry, channel, fd);
    }

    public Path path() {
        return path;
    }

    public ProviderGeometry geometry() {
        return geometry;
    }

    public FileChannel channel() {
        return channel;
    }

    public Metadata readMetadata(String resource) throws IOException, MetadataException {
        ByteBuffer area = ByteBuffer.allocate(MetadataCodec.METADATA_SIZE);
        readFully(area, 0);
        area.flip();
        return MetadataCodec.decode(area, resource, path.toString());
    }

    /** Rewrites the 4096-byte metadata area and flushes it (the reference does not flush: A17). */
    public void writeMetadata(Metadata metadata, boolean flush) throws IOException {
        ByteBuffer area = MetadataCodec.encode(metadata);
        writeFully(area, 0);
        if (flush) {
            channel.force(false);
        }
    }

    public void readFully(ByteBuffer buffer, long position) throws IOException {
        long offset = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, offset);
            if (n < 0) {
                throw new IOException("short read from " + path + " at " + offset);
            }
            offset += n;
        }
    }

    public void writeFully(ByteBuffer buffer, long position) throws IOException {
        long offset = position;
        while (buffer.hasRemaining()) {
            offset += channel.write(buffer, offset);
        }
    }

    /**
     * DELETE of a byte range: {@code BLKDISCARD} on a block device, a punched hole on a regular
     * file (spec §13.1). Either way the range reads back as zeros where the device guarantees it.
     *
     * @throws ErrnoException with the call's errno (EOPNOTSUPP where the device cannot discard),
     *         which the secondary puts in its reply as the reference does
     */
    public void discard(long position, long length) throws IOException {
        LibC libc = LibC.get();
        if (geometry.blockDevice()) {
            jnr.ffi.Pointer range = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), 16);
            range.putLong(0, position);
            range.putLong(8, length);
            Platform platform = HostPlatform.current();
            if (libc.ioctl(lockFd, platform.disks().delete(), range) < 0) {
                int errno = LibC.errno();
                throw new ErrnoException("Disk delete failed: " + libc.strerror(errno), platform.fromNativeErrno(errno));
            }
            return;
        }
        if (libc.fallocate(lockFd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, position, length) < 0) {
            int errno = LibC.errno();
            throw new ErrnoException("Unable to punch a hole: " + libc.strerror(errno), errno);
        }
    }

    /**
     * FLUSH: {@code fdatasync}. Returns false, without flushing, once the component has said it
     * cannot (the reference's EOPNOTSUPP latch); a skipped flush is not an error (A28).
     */
    public boolean flush() throws IOException {
        if (flushUnsupported) {
            return false;
        }
        try {
            if (geometry.blockDevice() && HostPlatform.current().disks().flush() != DiskIoctls.NONE) {
                flushDiskCache(); // FreeBSD: fsync of a disk node does not reach the disk's cache
            } else {
                channel.force(false);
            }
            return true;
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("not supported") || message.contains("Invalid argument")) {
                flushUnsupported = true;
                LOG.warn("The local component cannot flush its cache; flushes are skipped from now on.");
                return false;
            }
            throw e;
        }
    }

    /** {@code DIOCGFLUSH}, as the reference's {@code g_flush}; EOPNOTSUPP reads as "not supported". */
    private void flushDiskCache() throws IOException {
        LibC libc = LibC.get();
        if (libc.ioctl(lockFd, HostPlatform.current().disks().flush(), (jnr.ffi.Pointer) null) < 0) {
            int errno = LibC.errno();
            int internal = HostPlatform.current().fromNativeErrno(errno);
            String why = internal == 95 ? "Operation not supported" : libc.strerror(errno);
            throw new ErrnoException("Disk cache flush failed: " + why, internal);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("Unable to close {}: {}", path, e.getMessage());
        }
        LibC.get().close(lockFd);
    }
}
