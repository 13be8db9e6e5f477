package org.hast.local;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.hast.conf.LocalIoMode;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.meta.MetadataException;
import org.hast.platform.DiskIoctls;
import org.hast.platform.FileFlags;
import org.hast.platform.Platform;
import org.hast.platform.host.HostPlatform;
import org.hast.sys.ErrnoException;
import org.hast.sys.LibC;
import org.hast.sys.ProviderGeometry;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;

/**
 * A worker's local component (spec §6, §3.7): opened read-write and locked with a non-blocking
 * exclusive {@code flock} so that two workers can never use one provider, with its metadata
 * area read and rewritten here. Durable metadata writes go through an {@code O_DSYNC}
 * descriptor and cost one small synchronous write, not an {@code fdatasync} of the provider.
 */
public final class LocalComponent implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalComponent.class);
    private static final int EWOULDBLOCK = 11;
    private static final int EOPNOTSUPP = 95;

    private final Path path;
    private final ProviderGeometry geometry;
    private final ComponentIo io;
    private final int lockFd;
    /** Buffered I/O on Linux: starts the write-back of what is written (null otherwise). */
    private final WriteBehind writeBehind;
    /** Set once the component said it cannot flush its cache (EOPNOTSUPP latch, spec §11.3). */
    private volatile boolean flushUnsupported;
    /** Set once a synchronous write was refused: durable writes become write + fdatasync. */
    private volatile boolean durableWriteUnsupported;

    private LocalComponent(Path path, ProviderGeometry geometry, ComponentIo io, int lockFd,
            WriteBehind writeBehind) {
        this.path = path;
        this.geometry = geometry;
        this.io = io;
        this.lockFd = lockFd;
        this.writeBehind = writeBehind;
    }

    /** Opens and locks {@code path} for buffered I/O; failures carry the reference's messages. */
    public static LocalComponent open(Path path) throws IOException {
        return open(path, LocalIoMode.BUFFERED, UnaryOperator.identity());
    }

    /**
     * Opens and locks {@code path}, its data read and written as {@code mode} says, its system
     * calls passed through {@code wrap} (tests record them).
     */
    public static LocalComponent open(Path path, LocalIoMode mode, UnaryOperator<ComponentIo> wrap)
            throws IOException {
        ProviderGeometry geometry = ProviderGeometry.probe(path, HostPlatform.current().disks());
        LOG.debug("Obtained info about {}.", path);
        LibC libc = LibC.get();
        FileFlags files = HostPlatform.current().files();
        int fd = libc.open(path.toString(), files.rdwr() | files.cloexec());
        if (fd < 0) {
            throw new IOException("Unable to open " + path + ": " + libc.strerror(LibC.errno()) + ".");
        }
        if (libc.flock(fd, files.lockEx() | files.lockNb()) < 0) {
            int nativeErrno = LibC.errno();
            int errno = HostPlatform.current().fromNativeErrno(nativeErrno);
            if (errno != EOPNOTSUPP) {
                libc.close(fd);
                String why = errno == EWOULDBLOCK ? "Resource temporarily unavailable" : libc.strerror(nativeErrno);
                throw new IOException("Unable to lock " + path + ": " + why + ".");
            }
            LOG.warn("Unable to lock {} (operation not supported), but continuing.", path);
        } else {
            LOG.debug("Locked {}.", path);
        }
        boolean linux = HostPlatform.current().name().equals("linux");
        RangeWriteBack rangeWriteBack = RangeWriteBack.forDescriptor(fd, linux);
        ComponentIo io;
        try {
            io = wrap.apply(mode == LocalIoMode.DIRECT ? DirectComponentIo.open(path, rangeWriteBack)
                    : FileComponentIo.open(path, rangeWriteBack, fd));
        } catch (IOException e) {
            libc.close(fd);
            throw new IOException("Unable to open " + path + ": " + IoErrors.describe(e) + ".", e);
        }
        WriteBehind writeBehind = mode == LocalIoMode.DIRECT ? null
                : WriteBehind.startFor(fd, path.getFileName().toString(), linux);
        return new LocalComponent(path, geometry, io, fd, writeBehind);
    }

    public Path path() {
        return path;
    }

    public ProviderGeometry geometry() {
        return geometry;
    }

    public Metadata readMetadata(String resource) throws IOException, MetadataException {
        ByteBuffer area = ByteBuffer.allocate(MetadataCodec.METADATA_SIZE);
        readFully(area, 0);
        area.flip();
        return MetadataCodec.decode(area, resource, path.toString());
    }

    /** Rewrites the 4096-byte metadata area, durably when asked (the reference does not flush: A17). */
    public void writeMetadata(Metadata metadata, boolean durable) throws IOException {
        ByteBuffer area = MetadataCodec.encode(metadata);
        if (durable) {
            writeDurably(area, 0);
        } else {
            writeFully(area, 0);
        }
    }

    /**
     * Writes {@code buffer} at {@code position} and returns once it is on stable storage, with
     * one synchronous write of its own range. Where the provider refuses synchronous writes
     * (EINVAL, EOPNOTSUPP) it falls back, from then on, to a plain write and {@link #flush()}.
     *
     * @return false when the provider cannot flush its cache at all (the EOPNOTSUPP latch): the
     *         bytes are written but not known to be durable
     */
    public boolean writeDurably(ByteBuffer buffer, long position) throws IOException {
        if (!durableWriteUnsupported) {
            int start = buffer.position();
            try {
                long offset = position;
                while (buffer.hasRemaining()) {
                    offset += io.writeDurable(buffer, offset);
                }
                return true;
            } catch (IOException e) {
                if (!unsupported(e)) {
                    throw e;
                }
                durableWriteUnsupported = true;
                LOG.warn("The local component refuses synchronous writes ({}); metadata is flushed with "
                        + "fdatasync from now on.", e.getMessage());
                buffer.position(start);
            }
        }
        writeFully(buffer, position);
        return flush();
    }

    public void readFully(ByteBuffer buffer, long position) throws IOException {
        long offset = position;
        while (buffer.hasRemaining()) {
            int n = io.read(buffer, offset);
            if (n < 0) {
                throw new IOException("short read from " + path + " at " + offset);
            }
            offset += n;
        }
    }

    public void writeFully(ByteBuffer buffer, long position) throws IOException {
        long offset = position;
        while (buffer.hasRemaining()) {
            offset += io.write(buffer, offset);
        }
        if (writeBehind != null) {
            writeBehind.written(offset - position);
        }
    }

    /**
     * {@link #readFully(ByteBuffer, long)} into {@code target}'s bytes {@code [index, index +
     * length)}, from their address where the provider takes one: no view object per request.
     */
    public void readFully(ByteBuf target, int index, int length, long position) throws IOException {
        if (!io.addressable() || !target.hasMemoryAddress()) {
            readFully(target.nioBuffer(index, length), position);
            return;
        }
        long address = target.memoryAddress() + index;
        int done = 0;
        while (done < length) {
            int n = io.read(address + done, length - done, position + done);
            if (n < 0) {
                throw new IOException("short read from " + path + " at " + (position + done));
            }
            done += n;
        }
    }

    /**
     * Reads {@code target}'s bytes {@code [index, index + length)} at {@code position} only if
     * they are all in the page cache, never waiting for the device (buffered components on
     * Linux); false when the caller must {@link #readFully} on a thread that may block.
     */
    public boolean readIfCached(ByteBuf target, int index, int length, long position) {
        return io.addressable() && target.hasMemoryAddress()
                && io.readIfCached(target.memoryAddress() + index, length, position);
    }

    /** {@link #writeFully(ByteBuffer, long)} of {@code source}'s bytes {@code [index, index + length)}. */
    public void writeFully(ByteBuf source, int index, int length, long position) throws IOException {
        if (!io.addressable() || !source.hasMemoryAddress()) {
            writeFully(source.nioBuffer(index, length), position);
            return;
        }
        long address = source.memoryAddress() + index;
        int done = 0;
        while (done < length) {
            done += io.write(address + done, length - done, position + done);
        }
        if (writeBehind != null) {
            writeBehind.written(length);
        }
    }

    /**
     * Starts writing the dirty pages of {@code position .. position + length} to the device and
     * returns at once, so that a FLUSH soon after finds them written ({@link FlushCadence}).
     * Nothing to do without a page cache (direct I/O) or without the call (not Linux).
     */
    public void startWriteBack(long position, long length) {
        io.startWriteBack(position, length);
    }

    /** Write-backs started by {@link WriteBehind} so far; -1 without one (tests). */
    long writeBehindsStarted() {
        return writeBehind == null ? -1 : writeBehind.started();
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
        if (!HostPlatform.current().name().equals("linux")) {
            // fallocate(PUNCH_HOLE) is Linux's; FreeBSD 14's fspacectl is not bound yet.
            throw new ErrnoException("Unable to punch a hole: not supported on " + HostPlatform.current().name(),
                    EOPNOTSUPP);
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
                io.flush();
            }
            return true;
        } catch (IOException e) {
            if (unsupported(e)) {
                flushUnsupported = true;
                LOG.warn("The local component cannot flush its cache; flushes are skipped from now on.");
                return false;
            }
            throw e;
        }
    }

    /**
     * Writes the dirty pages of {@code position .. position + length} to the device and waits for
     * them, without a cache flush: they are durable once a cache flush issued after this returned
     * has completed. False, having done nothing, where the platform cannot (not Linux).
     */
    public boolean writeBack(long position, long length) throws IOException {
        return io.writeBack(position, length);
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

    /** EOPNOTSUPP or EINVAL, as the JDK words them: the provider cannot do this at all. */
    private static boolean unsupported(IOException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("not supported") || message.contains("Invalid argument");
    }

    @Override
    public void close() {
        if (writeBehind != null) {
            // Before the descriptor it uses is closed (and its number reused).
            writeBehind.close();
        }
        try {
            io.close();
        } catch (IOException e) {
            LOG.warn("Unable to close {}: {}", path, e.getMessage());
        }
        LibC.get().close(lockFd);
    }
}
