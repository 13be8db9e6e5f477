package org.hast.device.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.block.BlockBackend;

import io.netty.buffer.ByteBuf;

/**
 * A {@link BlockBackend} over a plain file for tests: positional FileChannel I/O on a small
 * thread pool, so completions arrive on other threads as they do from the primary. TRIM and
 * WRITE_ZEROES write zeros (the file's contents must read back as zeros either way).
 */
final class FileBackend implements BlockBackend, AutoCloseable {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final FileChannel file;
    private final long size;
    private final ExecutorService pool;
    private final boolean multiConn;
    private final int sectorSize;
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger fuaWrites = new AtomicInteger();
    final AtomicLong calls = new AtomicLong();

    /** A backend of any alignment (sector size 1), as most protocol tests want. */
    FileBackend(Path path, long size, boolean multiConn) throws IOException {
        this(path, size, multiConn, 1);
    }

    /** @param sectorSize what the backend reports; the server refuses smaller units */
    FileBackend(Path path, long size, boolean multiConn, int sectorSize) throws IOException {
        this.sectorSize = sectorSize;
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        if (file.size() < size) {
            file.truncate(size);
            file.write(ByteBuffer.allocate(1), size - 1);
        } else if (file.size() > size) {
            file.truncate(size);
        }
        this.size = size;
        this.multiConn = multiConn;
        this.pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "file-backend");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean flushCoversAllClients() {
        return multiConn;
    }

    private void submit(Completion done, IoTask task) {
        calls.incrementAndGet();
        try {
            pool.execute(() -> {
                int errno;
                try {
                    task.run();
                    errno = 0;
                } catch (IOException e) {
                    errno = 5;
                }
                done.done(errno);
            });
        } catch (RejectedExecutionException e) {
            done.done(108); // ESHUTDOWN
        }
    }

    @FunctionalInterface
    private interface IoTask {
        void run() throws IOException;
    }

    @Override
    public void read(long offset, int length, ByteBuf into, Completion done) {
        submit(done, () -> {
            ByteBuffer target = into.nioBuffer(into.writerIndex(), length);
            long pos = offset;
            while (target.hasRemaining()) {
                int n = file.read(target, pos);
                if (n < 0) {
                    throw new IOException("EOF at " + pos);
                }
                pos += n;
            }
            into.writerIndex(into.writerIndex() + length);
        });
    }

    @Override
    public void write(long offset, ByteBuf data, boolean fua, Completion done) {
        submit(done, () -> {
            ByteBuffer source = data.nioBuffer();
            long pos = offset;
            while (source.hasRemaining()) {
                pos += file.write(source, pos);
            }
            if (fua) {
                fuaWrites.incrementAndGet();
                file.force(false);
            }
        });
    }

    @Override
    public void flush(Completion done) {
        submit(done, () -> {
            flushes.incrementAndGet();
            file.force(false);
        });
    }

    @Override
    public void trim(long offset, long length, Completion done) {
        submit(done, () -> zero(offset, length));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
        submit(done, () -> zero(offset, length));
    }

    private void zero(long offset, long length) throws IOException {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            ByteBuffer chunk = ZEROS.duplicate();
            chunk.limit((int) Math.min(chunk.capacity(), end - pos));
            pos += file.write(chunk, pos);
        }
    }

    @Override
    public void close() throws IOException {
        pool.shutdown();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        file.close();
    }
}
