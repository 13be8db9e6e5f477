package org.hast.device.ggate;

import java.util.concurrent.Semaphore;

import org.hast.block.BlockBackend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * One request slot of the GEOM Gate bridge, owned by one thread: the {@code g_gate_ctl_io}
 * structure START and DONE fill, and a pooled direct buffer whose address the kernel copies
 * write data to and read data from, which the backend reads and fills in place. Nothing is
 * allocated per request; the slot is its own completion.
 */
final class GgateSlot implements BlockBackend.Completion {
    final Pointer io;
    private ByteBuf data;
    private final Semaphore finished = new Semaphore(0);
    private volatile int errno;

    GgateSlot(jnr.ffi.Runtime runtime, int capacity) {
        this.io = Memory.allocateDirect(runtime, GgateAbi.Io.SIZE, true);
        this.data = allocate(capacity);
    }

    private static ByteBuf allocate(int capacity) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
        if (!buf.hasMemoryAddress()) {
            buf.release();
            throw new IllegalStateException("direct buffers have no address here (sun.misc.Unsafe unavailable)");
        }
        return buf;
    }

    int capacity() {
        return data.capacity();
    }

    /** Fills the structure for a START on {@code unit}: room for a full buffer, no error. */
    void prepareStart(int unit) {
        io.putInt(GgateAbi.Io.VERSION, GgateAbi.VERSION);
        io.putInt(GgateAbi.Io.UNIT, unit);
        io.putLong(GgateAbi.Io.SEQ, 0);
        io.putInt(GgateAbi.Io.CMD, 0);
        io.putLong(GgateAbi.Io.OFFSET, 0);
        io.putLong(GgateAbi.Io.LENGTH, data.capacity());
        io.putAddress(GgateAbi.Io.DATA, data.memoryAddress());
        // The kernel leaves gctl_error alone on success: it must start at 0.
        io.putInt(GgateAbi.Io.ERROR, 0);
    }

    /** After ENOMEM from START: a buffer of at least {@code needed} bytes. */
    void grow(long needed) {
        if (needed > Integer.MAX_VALUE - 8 || needed <= data.capacity()) {
            throw new IllegalStateException("the kernel asks for a " + needed + "-byte buffer, this one has "
                    + data.capacity());
        }
        data.release();
        data = allocate((int) needed);
    }

    /**
     * Makes room for a {@code length}-byte read: START checks the buffer size for writes only,
     * while DONE copies a whole read from {@code gctl_data}.
     */
    void ensureReadRoom(long length) {
        if (length > data.capacity()) {
            grow(length);
            io.putAddress(GgateAbi.Io.DATA, data.memoryAddress());
        }
    }

    /** The buffer, empty, for a read of up to its capacity. */
    ByteBuf emptyData() {
        return data.clear();
    }

    /** The buffer holding {@code length} bytes the kernel wrote into it. */
    ByteBuf writtenData(int length) {
        return data.setIndex(0, length);
    }

    @Override
    public void done(int errno) {
        this.errno = errno;
        finished.release();
    }

    /** Waits for the backend's {@link #done}; returns its errno (internal numbering). */
    int awaitDone() {
        finished.acquireUninterruptibly();
        return errno;
    }

    /**
     * A backend that still holds the buffer (an async-mode remote send took a reference) keeps
     * it; the slot takes a fresh one for the next request.
     */
    void replaceIfRetained() {
        if (data.refCnt() > 1) {
            int capacity = data.capacity();
            data.release();
            data = allocate(capacity);
        }
    }

    void release() {
        if (data.refCnt() > 0) {
            data.release();
        }
    }
}
