package org.hast.local;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.hast.daemon.process.FatalThreads;
import org.hast.sys.LibC;
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the write-back of a buffered provider's dirty pages every {@link #thresholdBytes}
 * written, on a thread of its own, with {@code sync_file_range(SYNC_FILE_RANGE_WRITE)} over the
 * whole file: it queues the I/O and does not wait for it. A FreeBSD GEOM provider has no page
 * cache, so the reference's data is on its way to the disk as soon as it is written; with the
 * page cache a file component instead piled up to {@code vm.dirty_background_ratio} of memory
 * (gigabytes) before the kernel wrote anything, and the next FLUSH, or the {@code fdatasync} that
 * lets the activemap clear a bit, then had all of it to write while the client waited: 1.2 s at
 * the end of every 10 s of sequential writes at 1 Gbit. Here a FLUSH finds at most
 * {@link #thresholdBytes} dirty plus what the disk is still writing. 32 MiB by default: tens of
 * milliseconds of disk time for that FLUSH, while random writes to a small hot set, which the
 * page cache absorbs, are written back a few times a second, not on every few MiB.
 *
 * <p>Only while the writes come slower than {@link #maxBytesPerSecond} (default 200 MB/s): there
 * the disk idles most of the time (a 1 Gbit link brings 120 MB/s), and the early write-back is
 * free. Faster, the disk is what limits, the kernel's own write-back is running anyway, and an
 * early one only competes with the activemap's synchronous writes, whose cache flush then waits
 * for it: on 127.0.0.1 it cost a third of the sequential write rate on the test machine.
 *
 * <p>Writers only add to a counter and, when it crosses the threshold, unpark the thread: no
 * system call, lock or allocation on their path. Linux only (FreeBSD has no page cache in front
 * of a provider); {@code hast.local.writebehind} (bytes, default 32 MiB; 0 turns it off) and
 * {@code hast.local.writebehind.maxrate} (bytes per second, default 200 MB/s; 0: any rate) tune it.
 */
final class WriteBehind implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBehind.class);
    static final String PROPERTY = "hast.local.writebehind";
    static final long DEFAULT_THRESHOLD_BYTES = 32L << 20;
    /**
     * Smaller writes do not count: random small writes are what the page cache absorbs (a hot
     * set rewritten), and each one usually waits for an activemap mark whose cache flush would
     * wait for the write-back too (+60 µs per 4 KiB write at queue depth 1 on 127.0.0.1).
     */
    static final int STREAM_WRITE_BYTES = 64 * 1024;
    static final String RATE_PROPERTY = "hast.local.writebehind.maxrate";
    static final long DEFAULT_MAX_BYTES_PER_SECOND = 200_000_000L;

    private final int fd;
    private final long thresholdBytes;
    private final long maxBytesPerSecond;
    /** Bytes written since the thread last started a write-back. */
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong started = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    private WriteBehind(int fd, long thresholdBytes, long maxBytesPerSecond, String name) {
        this.fd = fd;
        this.thresholdBytes = thresholdBytes;
        this.maxBytesPerSecond = maxBytesPerSecond;
        this.thread = FatalThreads.start("writebehind " + name, this::run);
    }

    /**
     * For a buffered provider open as {@code fd}: null where there is nothing to do (not Linux,
     * or turned off with {@code hast.local.writebehind=0}).
     */
    static WriteBehind startFor(int fd, String name, boolean linux) {
        long threshold = number(PROPERTY, System.getProperty(PROPERTY), DEFAULT_THRESHOLD_BYTES);
        long maxRate = number(RATE_PROPERTY, System.getProperty(RATE_PROPERTY), DEFAULT_MAX_BYTES_PER_SECOND);
        return linux && threshold > 0 ? new WriteBehind(fd, threshold, maxRate, name) : null;
    }

    /** A property's value, a count of bytes; a bad one is logged and {@code fallback} used. */
    static long number(String property, String value, long fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            long bytes = Long.parseLong(value.strip());
            if (bytes >= 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // logged below
        }
        LOG.warn("Ignored {}={}: not a number of bytes; using {}.", property, value, fallback);
        return fallback;
    }

    /** Whether {@code bytes} written in {@code elapsedNs} came slowly enough for an early write-back. */
    static boolean pays(long bytes, long elapsedNs, long maxBytesPerSecond) {
        return maxBytesPerSecond <= 0 || (double) bytes * 1e9 <= (double) maxBytesPerSecond * elapsedNs;
    }

    /** A buffered write of {@code bytes} completed. */
    void written(long bytes) {
        if (bytes < STREAM_WRITE_BYTES) {
            return;
        }
        long now = pending.addAndGet(bytes);
        if (now >= thresholdBytes && now - bytes < thresholdBytes) {
            LockSupport.unpark(thread);
        }
    }

    /** How many write-backs were started (tests wait for one). */
    long started() {
        return started.get();
    }

    private void run() {
        LibC libc = LibC.get();
        long lastNs = System.nanoTime();
        while (!closed) {
            if (pending.get() < thresholdBytes) {
                LockSupport.park(this);
                continue;
            }
            // What is written from here on is dirty before the call below, which covers it too.
            long bytes = pending.getAndSet(0);
            long now = System.nanoTime();
            boolean pays = pays(bytes, now - lastNs, maxBytesPerSecond);
            lastNs = now;
            if (!pays) {
                continue;
            }
            // offset 0, length 0: to the end of the file.
            if (libc.sync_file_range(fd, 0, 0, LibC.SYNC_FILE_RANGE_WRITE) < 0) {
                LOG.warn("sync_file_range failed ({}); write-behind is off.", libc.strerror(LibC.errno()));
                return;
            }
            started.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        ThreadEnds.awaitBriefly(thread);
    }
}
