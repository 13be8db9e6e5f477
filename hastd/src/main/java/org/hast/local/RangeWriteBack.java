package org.hast.local;

import java.io.IOException;

import org.hast.sys.ErrnoException;
import org.hast.sys.LibC;

/**
 * Writes a range of a buffered provider's dirty pages to the device and waits for them, without
 * a cache flush and without touching the rest of the file: Linux's
 * {@code sync_file_range(SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER)} on one descriptor of
 * the provider (the page cache is the inode's, so any descriptor of the file will do). Where
 * there is no such call it reports so, and callers fall back to {@code fdatasync}.
 */
final class RangeWriteBack {
    private static final int ENOSYS = 38;

    /** For a platform without the call. */
    static final RangeWriteBack NONE = new RangeWriteBack(-1);

    private final int fd;
    private volatile boolean supported;

    private RangeWriteBack(int fd) {
        this.fd = fd;
        this.supported = fd >= 0;
    }

    static RangeWriteBack forDescriptor(int fd, boolean linux) {
        return linux ? new RangeWriteBack(fd) : NONE;
    }

    boolean supported() {
        return supported;
    }

    /**
     * Starts the write-back of the range's dirty pages and returns without waiting: a hint (a
     * FLUSH is coming, {@link FlushCadence}), so a failure is not reported; the FLUSH then
     * writes them itself.
     */
    void start(long position, long length) {
        if (supported && LibC.get().sync_file_range(fd, position, length, LibC.SYNC_FILE_RANGE_WRITE) < 0
                && LibC.errno() == ENOSYS) {
            supported = false; // a seccomp filter or an emulator: not worth a failing call per write
        }
    }

    /**
     * Returns once every page of {@code position .. position + length} that was dirty when it was
     * called has been written to the device (which may still hold it in a volatile cache); false,
     * having done nothing, where the platform has no such call.
     */
    boolean writeBack(long position, long length) throws IOException {
        if (!supported) {
            return false;
        }
        LibC libc = LibC.get();
        if (libc.sync_file_range(fd, position, length,
                LibC.SYNC_FILE_RANGE_WAIT_BEFORE | LibC.SYNC_FILE_RANGE_WRITE | LibC.SYNC_FILE_RANGE_WAIT_AFTER) < 0) {
            int errno = LibC.errno();
            if (errno == ENOSYS) {
                supported = false;
                return false;
            }
            throw new ErrnoException("Unable to write back a range: " + libc.strerror(errno), errno);
        }
        return true;
    }
}
