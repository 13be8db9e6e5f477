package org.hast.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.locks.StampedLock;

import org.hast.platform.host.HostPlatform;
import org.hast.sys.ErrnoException;
import org.hast.sys.PositionalLibC;

import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.PlatformDependent;

/**
 * {@code pread(2)}/{@code pwrite(2)} straight from a direct buffer's address on a descriptor
 * this class does not own (issue #15). {@code FileChannel}'s positional calls cost, besides the
 * system call, two monitor entries and a {@code pthread_self} call (its thread set) and the
 * interruptible begin/end on every call; here a call is one shared-lock acquisition and one
 * native call.
 *
 * <p>Like {@code FileChannel}: one call may transfer fewer bytes than asked (callers loop), it
 * advances the buffer's position by what it transferred, {@code EINTR} is retried, and a read
 * at the end of the file returns -1. A failure throws an {@link ErrnoException} whose message is
 * the system's {@code strerror}, the text {@code FileChannel} gave.
 *
 * <p>The lock keeps {@link #close} from returning while a call is under way: the owner closes
 * the descriptor after it, and a call still in flight would otherwise hit whatever file reuses
 * the number. It is only ever waited for by {@code close}.
 */
final class NativePositionalIo {
    /**
     * {@code -Dhast.local.nativeIo=false} keeps the local component's data on {@code FileChannel},
     * for A/B runs (bench/README.md).
     */
    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("hast.local.nativeIo", "true"))
            && PlatformDependent.hasUnsafe();
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    /** Linux's {@code RWF_NOWAIT}: fail with EAGAIN rather than wait for the device or a lock. */
    private static final int RWF_NOWAIT = 0x8;
    /**
     * {@code -Dhast.local.inlineReads=false} turns off reads from the page cache on the caller's
     * thread ({@link #readIfCached}), for A/B runs.
     */
    static final boolean INLINE_READS = ENABLED
            && Boolean.parseBoolean(System.getProperty("hast.local.inlineReads", "true"))
            && "linux".equals(HostPlatform.current().name());
    /** Cleared for good by the first sign that this kernel or file system lacks RWF_NOWAIT. */
    private static volatile boolean noWaitWorks = INLINE_READS;
    /** One {@code struct iovec} (base, length: 16 bytes on the 64-bit Linux ABIs) per thread. */
    private static final FastThreadLocal<ByteBuffer> IOVEC = new FastThreadLocal<>() {
        @Override
        protected ByteBuffer initialValue() {
            return ByteBuffer.allocateDirect(16);
        }
    };

    private final int fd;
    private final PositionalLibC libc = PositionalLibC.get();
    private final StampedLock use = new StampedLock();
    private volatile boolean closed;

    NativePositionalIo(int fd) {
        this.fd = fd;
    }

    /** Whether {@code buffer} can go this way (a direct buffer; heap buffers take the channel). */
    static boolean fits(ByteBuffer buffer) {
        return buffer.isDirect();
    }

    int write(ByteBuffer source, long position) throws IOException {
        int n = write(PlatformDependent.directBufferAddress(source) + source.position(), source.remaining(),
                position);
        source.position(source.position() + n);
        return n;
    }

    int read(ByteBuffer target, long position) throws IOException {
        int n = read(PlatformDependent.directBufferAddress(target) + target.position(), target.remaining(),
                position);
        if (n > 0) {
            target.position(target.position() + n);
        }
        return n;
    }

    /** From {@code length} bytes at {@code address}, which the caller keeps alive for the call. */
    int write(long address, int length, long position) throws IOException {
        long stamp = enter();
        try {
            long n;
            do {
                n = libc.pwrite(fd, address, length, position);
            } while (n < 0 && interrupted());
            if (n < 0) {
                throw failure();
            }
            return (int) n;
        } finally {
            use.unlockRead(stamp);
        }
    }

    /** Into {@code length} bytes at {@code address}; -1 at the end of the file. */
    int read(long address, int length, long position) throws IOException {
        long stamp = enter();
        try {
            long n;
            do {
                n = libc.pread(fd, address, length, position);
            } while (n < 0 && interrupted());
            if (n < 0) {
                throw failure();
            }
            if (n == 0 && length > 0) {
                return -1;
            }
            return (int) n;
        } finally {
            use.unlockRead(stamp);
        }
    }

    /**
     * Reads all {@code length} bytes into {@code address} only if every one is in the page
     * cache: one {@code preadv2(RWF_NOWAIT)}, which never waits for the device. False when the
     * caller must read the usual way (pages not cached, a short read, an error of any kind,
     * another platform); the bytes at {@code address} are then undefined. Safe on a thread that
     * must not block.
     */
    boolean readIfCached(long address, int length, long position) {
        if (!noWaitWorks) {
            return false;
        }
        ByteBuffer iov = IOVEC.get();
        long iovAddress = PlatformDependent.directBufferAddress(iov);
        PlatformDependent.putLong(iovAddress, address);
        PlatformDependent.putLong(iovAddress + 8, length);
        long stamp = use.tryReadLock();
        if (stamp == 0) {
            return false;   // closing
        }
        try {
            if (closed) {
                return false;
            }
            long n = libc.preadv2(fd, iovAddress, 1, position, RWF_NOWAIT);
            if (n == length) {
                return true;
            }
            if (n < 0 && PositionalLibC.errno() != EAGAIN) {
                // ENOSYS, EOPNOTSUPP or EINVAL: not here; a real I/O error shows on the usual path
                noWaitWorks = false;
            }
            return false;
        } finally {
            use.unlockRead(stamp);
        }
    }

    /**
     * For a call on the descriptor made elsewhere ({@code sync_file_range}): a stamp to give to
     * {@link #exit}, or 0 once closed, when the descriptor may already be another file's.
     */
    long enterIfOpen() {
        long stamp = use.readLock();
        if (closed) {
            use.unlockRead(stamp);
            return 0;
        }
        return stamp;
    }

    void exit(long stamp) {
        use.unlockRead(stamp);
    }

    /** Waits for the calls under way; later calls throw {@link ClosedChannelException}. */
    void close() {
        long stamp = use.writeLock();
        closed = true;
        use.unlockWrite(stamp);
    }

    private long enter() throws ClosedChannelException {
        long stamp = use.readLock();
        if (closed) {
            use.unlockRead(stamp);
            throw new ClosedChannelException();
        }
        return stamp;
    }

    private static boolean interrupted() {
        return HostPlatform.current().fromNativeErrno(PositionalLibC.errno()) == EINTR;
    }

    private ErrnoException failure() {
        int errno = PositionalLibC.errno();
        return new ErrnoException(libc.strerror(errno), errno);
    }
}
