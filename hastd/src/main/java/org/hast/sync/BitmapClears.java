package org.hast.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.hast.activemap.ActiveMap;
import org.hast.daemon.process.FatalThreads;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code activemap-clear} thread of a {@link DirtyMap} with {@code metaflush on}: which set
 * bits of the on-disk bitmap may be dropped, and when (spec §7.3: a bit is cleared on disk only
 * once the data written to its extent is durable; with buffered I/O a completed write may still
 * be in the page cache).
 *
 * <p>At most once per {@link #CLEAR_INTERVAL_NANOS} it notes the extents set on disk but clean
 * in the map, makes the provider's data durable ({@code fdatasync}, which may take long: it
 * writes back every dirty data page) while marks go on being written, then lets the next bitmap
 * write drop those bits, except for any extent a write has started on since the note (that
 * write's data may have missed the sync: see {@link #revoke}). A crash thus finds at worst a
 * second's worth of extents still dirty, which only costs their resync. The clears of extents
 * a mark pushed off keepdirty wait {@link #EVICTION_CLEAR_INTERVAL_NANOS} when no other clear
 * is due.
 *
 * <p>Locking: {@link #clearable} is guarded by the map's monitor; every other field by the
 * flushers' lock, which {@link DirtyMap} shares with this class.
 */
final class BitmapClears implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BitmapClears.class);
    /** How long clears may wait for their fdatasync while marks keep the flushers busy. */
    static final long CLEAR_INTERVAL_NANOS = 1_000_000_000L;
    /**
     * How long the clears of extents a mark pushed off the keepdirty list may wait, when no
     * other clear is due. Their data is usually still in the page cache when they are pushed
     * off, and the clear's fdatasync then writes it all back at once: every second, that cost
     * sequential writes a third of their rate and random reads a quarter (quiet A/B,
     * docs/performance-activemap.md). After 30 s, the kernel's own write-back
     * ({@code dirty_expire_centisecs}, 30 s by default) has written most of it, and the sync
     * has little left to do; a crash resyncs at most 30 s worth of such extents. The system
     * property {@code hast.activemap.evictionClearSeconds} overrides it (0..3600).
     */
    static final long EVICTION_CLEAR_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(
            Math.max(0, Math.min(3600, Long.getLong("hast.activemap.evictionClearSeconds", 30))));

    /** What the clears ask of the flushers; called under the flushers' lock. */
    interface Flushers {
        /** The granted clears are ready for the next bitmap write. */
        void grantReady();

        boolean metaflush();

        /** The provider cannot flush its cache: plain bitmap writes from now on. */
        void metaflushOff();
    }

    private final ActiveMap map;
    private final LocalComponent local;
    private final WorkerStats stats;
    private final Object flushLock;
    private final Flushers flushers;
    /** The flushers' image of the bitmap on disk (read without their lock, see the note). */
    private final byte[] written;
    /**
     * Bits a clear may drop (guarded by the map's monitor): clean in the map when the note was
     * taken, and not written to since; valid for a bitmap write once {@link #granted}.
     */
    private final byte[] clearable;
    /** The map as the note saw it (this thread's own). */
    private final ByteBuffer note;
    private final long evictionIntervalNanos;

    /** Some bit was cleared in the map that the disk may still have set. */
    private boolean pending;
    /** A mark pushed some extent off the keepdirty list. */
    private boolean evictionPending;
    /** {@link #clearable} is durable: the next bitmap write drops it. */
    private boolean granted;
    /** From the note until the bitmap write that used it has returned. */
    private boolean inFlight;
    /** Parked until there is work: {@link #due} unparks it. */
    private boolean idle;
    private long lastClearWrite = System.nanoTime();
    private boolean closed;
    private final Thread thread;

    BitmapClears(ActiveMap map, LocalComponent local, WorkerStats stats, Object flushLock, Flushers flushers,
                 byte[] written, long evictionIntervalNanos) {
        this.map = map;
        this.local = local;
        this.stats = stats;
        this.flushLock = flushLock;
        this.flushers = flushers;
        this.written = written;
        this.evictionIntervalNanos = evictionIntervalNanos;
        this.clearable = new byte[written.length];
        this.note = ByteBuffer.allocate(written.length);
        this.thread = FatalThreads.newThread("activemap-clear", this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Under the map's monitor: the extents {@code first..last} became dirty again, and whatever
     * is written to them now may miss the sync a clear is waiting for: that clear keeps them.
     */
    void revoke(int first, int last) {
        for (int e = first; e <= last; e++) {
            clearable[e >>> 3] &= (byte) ~(1 << (e & 7));
        }
    }

    /** Under the map's monitor: a merge may have made any extent dirty. */
    void revokeAll() {
        Arrays.fill(clearable, (byte) 0);
    }

    /**
     * Under the map's monitor, for a bitmap write with the grant: the image last written less the
     * bits granted; the grant is used up.
     */
    byte keptOfWritten(int i) {
        return (byte) (written[i] & ~clearable[i]);
    }

    /** Under the map's monitor, after a bitmap write took {@link #keptOfWritten}. */
    void grantUsed() {
        Arrays.fill(clearable, (byte) 0);
    }

    /**
     * Under flushLock: some bit may have left the map; the thread wakes, also when it waits out
     * the longer interval of evictions (not on the write path: rare with keepdirty).
     */
    void due() {
        pending = true;
        if (flushers.metaflush()) {
            idle = false;
            LockSupport.unpark(thread);
        }
    }

    /** Under flushLock, on the write path: a mark may have pushed an extent off keepdirty. */
    void evictionDue() {
        evictionPending = true;
        if (idle && flushers.metaflush()) {
            // Only when it waits for work: one parked until its interval ends wakes by itself.
            idle = false;
            LockSupport.unpark(thread);
        }
    }

    /** Under flushLock: whether the next bitmap write may drop {@link #clearable}. */
    boolean granted() {
        return granted;
    }

    /** Under flushLock, as a flusher claims its write: whether it carries the grant (used up). */
    boolean takeGrant() {
        boolean take = granted;
        granted = false;
        return take;
    }

    /** Under flushLock, once a bitmap write has returned: {@code withGrant} whether it carried the clears. */
    void bitmapWritten(boolean withGrant) {
        if (withGrant) {
            inFlight = false;
            lastClearWrite = System.nanoTime();
            LockSupport.unpark(thread);
        }
    }

    /** Under flushLock: nothing is known durable; the bits stay set on disk for a later try. */
    private void retryLater() {
        inFlight = false;
        pending = true;
        lastClearWrite = System.nanoTime();
    }

    private void run() {
        while (true) {
            if (!awaitDue()) {
                return;
            }
            boolean any = false;
            synchronized (map) {
                note.clear();
                map.writeBitmap(note);
                for (int i = 0; i < clearable.length; i++) {
                    // written is the flushers' (writeLock): read here without it, a bit set
                    // meanwhile is only missed, and stays set on disk until the next clear.
                    clearable[i] = (byte) (~note.get(i) & written[i]);
                    any |= clearable[i] != 0;
                }
            }
            if (!any) {
                synchronized (flushLock) {
                    inFlight = false;
                    lastClearWrite = System.nanoTime();
                }
                continue;
            }
            makeDurable();
        }
    }

    /**
     * Parked (not waiting on flushLock: {@link #due} runs under it and unparks) until a clear
     * is due and none is in flight; false once closed with nothing left to do.
     */
    private boolean awaitDue() {
        while (true) {
            long wait;
            synchronized (flushLock) {
                if (!inFlight && (pending || evictionPending) && flushers.metaflush()) {
                    long interval = pending ? CLEAR_INTERVAL_NANOS : evictionIntervalNanos;
                    wait = closed ? 0 : lastClearWrite + interval - System.nanoTime();
                    if (wait <= 0) {
                        pending = false;
                        evictionPending = false;
                        inFlight = true;
                        return true;
                    }
                } else if (closed && !inFlight) {
                    return false;
                } else {
                    wait = 0;
                    idle = true;
                }
            }
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            } else {
                LockSupport.park(this);
            }
        }
    }

    /** Syncs the provider, then hands the noted clears over to the flushers. */
    private void makeDurable() {
        boolean synced = false;
        boolean unsupported = false;
        try {
            synced = local.flush();
            unsupported = !synced;
        } catch (IOException e) {
            LOG.error("Unable to flush activemap to disk: {}.", e.getMessage());
            stats.writeError.increment();
        }
        synchronized (flushLock) {
            if (synced) {
                granted = true;
                flushers.grantReady();
            } else {
                retryLater();
                if (unsupported) {
                    // As a mark's write finding the same: plain writes of the map from now on.
                    LOG.warn("The local provider does not support cache flush; metaflush is off.");
                    flushers.metaflushOff();
                }
            }
        }
    }

    /** Wakes the thread (metaflush changed). */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Clears go at once from now on; returns when none is left (the flushers still run). */
    @Override
    public void close() {
        synchronized (flushLock) {
            closed = true;
        }
        LockSupport.unpark(thread);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
