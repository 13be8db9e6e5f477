package org.hast.device.ggate;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.block.BlockBackend;

import io.netty.buffer.ByteBuf;

/**
 * A {@link BlockBackend} in memory for the GEOM Gate tests: completions arrive on other threads,
 * as from the primary; {@link #durable()} is what the last flush made stable; {@link #hold()}
 * parks every request until {@link #release()} (a worker stuck on its backend); the next
 * request can be failed with a chosen errno.
 */
final class MemoryBackend implements BlockBackend, AutoCloseable {
    private final byte[] image;
    private byte[] durable;
    private final int sectorSize;
    private final ExecutorService pool = Executors.newFixedThreadPool(3, r -> {
        Thread t = new Thread(r, "memory-backend");
        t.setDaemon(true);
        return t;
    });
    private volatile Semaphore gate;
    private final AtomicInteger failNext = new AtomicInteger();
    final AtomicInteger flushes = new AtomicInteger();

    MemoryBackend(int size, int sectorSize) {
        this.image = new byte[size];
        this.durable = new byte[size];
        this.sectorSize = sectorSize;
    }

    void hold() {
        gate = new Semaphore(0);
    }

    void release() {
        Semaphore g = gate;
        gate = null;
        if (g != null) {
            g.release(Integer.MAX_VALUE / 2);
        }
    }

    void failNextWith(int errno) {
        failNext.set(errno);
    }

    synchronized byte[] contents() {
        return image.clone();
    }

    synchronized byte[] durable() {
        return durable.clone();
    }

    @Override
    public long size() {
        return image.length;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean flushCoversAllClients() {
        return true;
    }

    private void run(Completion done, Runnable body) {
        Semaphore g = gate;
        pool.execute(() -> {
            if (g != null) {
                g.acquireUninterruptibly();
            }
            int errno = failNext.getAndSet(0);
            if (errno == 0) {
                body.run();
            }
            done.done(errno);
        });
    }

    @Override
    public void read(long offset, int length, ByteBuf into, Completion done) {
        run(done, () -> {
            synchronized (this) {
                into.writeBytes(image, (int) offset, length);
            }
        });
    }

    @Override
    public void write(long offset, ByteBuf data, boolean fua, Completion done) {
        run(done, () -> {
            synchronized (this) {
                data.getBytes(data.readerIndex(), image, (int) offset, data.readableBytes());
            }
        });
    }

    @Override
    public void flush(Completion done) {
        run(done, () -> {
            synchronized (this) {
                flushes.incrementAndGet();
                durable = image.clone();
            }
        });
    }

    @Override
    public void trim(long offset, long length, Completion done) {
        run(done, () -> {
            synchronized (this) {
                Arrays.fill(image, (int) offset, (int) (offset + length), (byte) 0);
            }
        });
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
        trim(offset, length, done);
    }

    @Override
    public void close() throws InterruptedException {
        release();
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }
}
