package org.hast.block;

import io.netty.buffer.ByteBuf;

/**
 * What a device bridge (the NBD export, the kernel NBD bridge, FUSE) serves: the resource's
 * data area as the primary sees it. The primary's I/O pipeline implements it; tests implement
 * it over a plain file.
 *
 * <p>Every call is asynchronous and returns at once; {@code done} is called exactly once, on
 * any thread, with 0 or a positive errno (EIO 5, EINVAL 22, ENOSPC 28, ENOTSUP 95,
 * ESHUTDOWN 108). Ranges are checked by the caller: {@code offset + length <= size()}.
 *
 * <p>Buffers stay owned by the caller, who releases them after {@code done}; a backend that
 * needs one longer (an async-mode remote send) takes its own reference with {@code retain()}.
 */
public interface BlockBackend {

    /** Completion of one request. */
    @FunctionalInterface
    interface Completion {
        /** @param errno 0 on success, else a positive errno */
        void done(int errno);
    }

    /** The data area's size in bytes. */
    long size();

    /** The smallest unit the backend handles without read-modify-write (the sector size). */
    int sectorSize();

    /** True when a FLUSH covers writes completed through any connection (NBD CAN_MULTI_CONN). */
    boolean flushCoversAllClients();

    /**
     * Reads {@code length} bytes at {@code offset} into {@code into} at its writer index,
     * which the backend advances by {@code length} before a successful {@code done}. The
     * buffer has at least {@code length} writable bytes.
     */
    void read(long offset, int length, ByteBuf into, Completion done);

    /**
     * Writes {@code data}'s readable bytes at {@code offset}. With {@code fua} the write is on
     * stable storage before {@code done}.
     */
    void write(long offset, ByteBuf data, boolean fua, Completion done);

    /** Every write already completed is on stable storage before {@code done}. */
    void flush(Completion done);

    /** DELETE / NBD TRIM: the range's contents become unspecified (zeros where supported). */
    void trim(long offset, long length, Completion done);

    /**
     * The range reads back as zeros afterwards. With {@code mayPunch} the backend may
     * deallocate (NBD WRITE_ZEROES without NO_HOLE); otherwise it writes zeros.
     */
    void writeZeroes(long offset, long length, boolean mayPunch, Completion done);
}
