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
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code activemap-clear} thread of a {@link DirtyMap} with {@code metaflush on}: which set
 * bits of the on-disk bitmap may be dropped, and when (spec §7.3: a bit is cleared on disk only
 * once the data written to its extent is durable; with buffered I/O a completed write may still
 * be in the page cache).
 *
 * <p>At most once per {@link #CLEAR_INTERVAL_NANOS} it notes the extents set on disk but clean
 * in the map, writes back only their ranges ({@code sync_file_range}, Linux) and asks the
 * flushers for a bitmap write: that write's cache flush, issued after the write-back returned,
 * makes the data durable, and once it has returned the next bitmap write may drop the bits. A
 * platform without {@code sync_file_range} syncs the whole provider ({@code fdatasync}: its
 * data and the device cache) instead, and the bits may go with the next write at once. On
 * every platform the clears of extents a mark pushed off keepdirty wait
 * {@code evictionClearSeconds} (30 s), since clearing them every second wrote back about all a
 * large write had put in the page cache. No lock a mark
 * needs is held during the write-back or the sync, and an extent written to after the note is
 * kept (its data may have missed them: see {@link #revoke}).
 *
 * <p>Locking: {@link #clearable} is guarded by the map's monitor; every other field by the
 * flushers' lock, which {@link DirtyMap} shares with this class.
 */
final class BitmapClears implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BitmapClears.class);
    /** How long clears may wait for their write-back while marks keep the flushers busy. */
    static final long CLEAR_INTERVAL_NANOS = 1_000_000_000L;
    static final String EVICTION_PROPERTY = "hast.activemap.evictionClearSeconds";
    /**
     * How long the clears of extents a mark pushed off the keepdirty list may wait when no other
     * clear is due. Every second cost sequential writes about a third of their rate, with an
     * {@code fdatasync} of the whole component (which wrote back the whole page cache) and
     * with the range write-back alike: after a large write most of the image belongs to evicted
     * extents, so either writes back about everything (quiet A/B, docs/performance-activemap.md).
     * After 30 s the kernel's own write-back ({@code dirty_expire_centisecs}) has written most
     * of it. The system property {@code hast.activemap.evictionClearSeconds} (0..3600) sets it.
     */
    static final long EVICTION_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** What the clears ask of the flushers; called under the flushers' lock. */
    interface Flushers {
        /** A bitmap write, carrying no clear, claimed after this call: its generation. */
        long requestWrite();

        /** The granted clears are ready for the next bitmap write. */
        void grantReady();

        boolean metaflush();

        /** The provider cannot flush its cache: plain bitmap writes from now on. */
        void metaflushOff();
    }

    private final ActiveMap map;
    private final LocalComponent local;
    private final WorkerStats stats;
    /** Where extent 0 starts on the provider. */
    private final long dataOffset;
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
    /** Null: the default eviction interval, {@link #EVICTION_INTERVAL_NANOS}. */
    private final Long evictionIntervalNanos;
    /** False once the platform said it has no range write-back: fdatasync from then on. */
    private boolean rangeWriteBack = true;

    /** Some bit was cleared in the map that the disk may still have set. */
    private boolean pending;
    /** A mark pushed some extent off the keepdirty list. */
    private boolean evictionPending;
    /** {@link #clearable} is durable: the next bitmap write drops it. */
    private boolean granted;
    /** The written-back data is durable once a bitmap write of this generation returns (0: none awaited). */
    private long durableAtGeneration;
    /** From the note until the bitmap write that used it has returned. */
    private boolean inFlight;
    /** Parked until there is work: {@link #due} unparks it. */
    private boolean idle;
    private long lastClearWrite = System.nanoTime();
    private boolean closed;
    private final Thread thread;

    BitmapClears(ActiveMap map, LocalComponent local, WorkerStats stats, long dataOffset, Object flushLock,
                 Flushers flushers, byte[] written, Long evictionIntervalNanos) {
        this.map = map;
        this.local = local;
        this.stats = stats;
        this.dataOffset = dataOffset;
        this.flushLock = flushLock;
        this.flushers = flushers;
        this.written = written;
        this.evictionIntervalNanos = evictionIntervalNanos;
        this.clearable = new byte[written.length];
        this.note = ByteBuffer.allocate(written.length);
        this.thread = FatalThreads.newThread("activemap-clear", this::run);
    }

    /** The eviction interval {@code hast.activemap.evictionClearSeconds} asks for, or null. */
    static Long evictionIntervalProperty() {
        Long seconds = Long.getLong(EVICTION_PROPERTY);
        return seconds == null ? null : TimeUnit.SECONDS.toNanos(Math.max(0, Math.min(3600, seconds)));
    }

    void start() {
        thread.start();
    }

    /**
     * Under the map's monitor: the extents {@code first..last} became dirty again, and whatever
     * is written to them now may miss the write-back or sync a clear is waiting for: it keeps them.
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

    /**
     * Under flushLock, once a bitmap write has returned: {@code ok} whether it is durable,
     * {@code withGrant} whether it carried the clears, {@code generation} the one it claimed
     * (claimed at or after {@link #durableAtGeneration}: it started after the write-back returned).
     */
    void bitmapWritten(boolean withGrant, boolean ok, long generation) {
        if (withGrant) {
            inFlight = false;
            lastClearWrite = System.nanoTime();
            LockSupport.unpark(thread);
        } else if (durableAtGeneration != 0 && generation >= durableAtGeneration) {
            durableAtGeneration = 0;
            if (ok) {
                // This write's cache flush was issued after the write-back had returned.
                granted = true;
                flushers.grantReady();
            } else {
                retryLater();
                LockSupport.unpark(thread);
            }
        }
    }

    /** Under flushLock: nothing is known durable; the bits stay set on disk for a later try. */
    private void retryLater() {
        inFlight = false;
        pending = true;
        lastClearWrite = System.nanoTime();
    }

    private long evictionIntervalNanos() {
        if (evictionIntervalNanos != null) {
            return evictionIntervalNanos;
        }
        return EVICTION_INTERVAL_NANOS;
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
                    long interval = pending ? CLEAR_INTERVAL_NANOS : evictionIntervalNanos();
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

    /** Writes back the noted extents (or syncs the provider), then hands over to the flushers. */
    private void makeDurable() {
        boolean wroteBack = false;
        boolean synced = false;
        boolean unsupported = false;
        try {
            if (rangeWriteBack) {
                wroteBack = writeBackNoted();
                rangeWriteBack = wroteBack;
            }
            if (!wroteBack) {
                synced = local.flush();
                unsupported = !synced;
            }
        } catch (IOException e) {
            LOG.error("Unable to flush activemap to disk: {}.", e.getMessage());
            stats.writeError.increment();
        }
        synchronized (flushLock) {
            if (wroteBack) {
                // Durable once a bitmap write asked for now (so its flush follows) has returned.
                durableAtGeneration = flushers.requestWrite();
            } else if (synced) {
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

    /**
     * {@code sync_file_range} over each run of noted extents. {@link #clearable} is read without
     * the map's monitor: a bit revoked meanwhile is only written back for nothing.
     */
    private boolean writeBackNoted() throws IOException {
        int extents = map.extentCount();
        int e = 0;
        while (e < extents) {
            if (!clearable(e)) {
                e++;
                continue;
            }
            int first = e;
            while (e < extents && clearable(e)) {
                e++;
            }
            long start = map.extentOffset(first);
            long end = map.extentOffset(e - 1) + map.extentLength(e - 1);
            if (!local.writeBack(dataOffset + start, end - start)) {
                return false;
            }
        }
        return true;
    }

    private boolean clearable(int extent) {
        return (clearable[extent >>> 3] & (1 << (extent & 7))) != 0;
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
        ThreadEnds.awaitBriefly(thread);
    }
}
