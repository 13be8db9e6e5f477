package org.hast.local;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The system calls a {@link LocalComponent} makes on its provider, one method each. Production
 * uses {@link FileComponentIo}; tests wrap it to record the order in which data and metadata
 * reach the provider (spec §7.3: a mark is durable before the data it covers is written).
 */
public interface ComponentIo extends Closeable {

    /** {@code pread}: bytes read, -1 at the end. */
    int read(ByteBuffer target, long position) throws IOException;

    /** {@code pwrite}, buffered: bytes written. */
    int write(ByteBuffer source, long position) throws IOException;

    /**
     * Whether {@link #read(long, int, long)} and {@link #write(long, int, long)} work: the
     * worker's requests then need no {@code ByteBuffer} view of their data (two objects per
     * request, issue #15).
     */
    default boolean addressable() {
        return false;
    }

    /** {@code pread} into {@code length} bytes at native {@code address}: bytes read, -1 at the end. */
    default int read(long address, int length, long position) throws IOException {
        throw new UnsupportedOperationException("no native addresses");
    }

    /**
     * Reads {@code length} bytes into native {@code address} only if all are in the page cache,
     * without waiting for the device ({@code preadv2(RWF_NOWAIT)}); false when the caller must
     * {@link #read(long, int, long)} on a thread that may block.
     */
    default boolean readIfCached(long address, int length, long position) {
        return false;
    }

    /** {@code pwrite}, buffered, of {@code length} bytes at native {@code address}: bytes written. */
    default int write(long address, int length, long position) throws IOException {
        throw new UnsupportedOperationException("no native addresses");
    }

    /**
     * {@code pwrite} on the descriptor opened {@code O_DSYNC}: returns once these bytes, the file
     * metadata needed to read them back and the device's volatile cache are on stable storage,
     * without writing back any other dirty page of the provider.
     */
    int writeDurable(ByteBuffer source, long position) throws IOException;

    /** {@code fdatasync}: every dirty page of the provider, then the device cache. */
    void flush() throws IOException;

    /**
     * Writes the range's dirty pages to the device and waits for them, with no cache flush
     * ({@code sync_file_range}, Linux): they are durable only after a later cache flush.
     * False, having done nothing, where the platform cannot.
     */
    boolean writeBack(long position, long length) throws IOException;

    /**
     * Starts writing the range's dirty pages to the device and returns without waiting for them
     * ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, Linux, buffered I/O only): a hint, so
     * nothing is reported; a later {@link #flush()} still makes them durable.
     */
    default void startWriteBack(long position, long length) {
    }

    @Override
    void close() throws IOException;
}
