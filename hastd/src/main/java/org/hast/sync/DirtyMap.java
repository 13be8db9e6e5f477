package org.hast.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

import org.hast.activemap.ActiveMap;
import org.hast.daemon.process.FatalThreads;
import org.hast.meta.MetadataCodec;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's activemap with its lock and its on-disk bitmap (spec §7.3–§7.6). The map
 * itself is only touched under a short lock; the bitmap is written by {@link #FLUSHERS} flusher
 * threads in group-commit fashion: every caller that needs the dirty mark durable asks for a
 * generation and is called back once a bitmap write that started after its request is on disk.
 * Many concurrent writes that touch new extents thus share one synchronous bitmap write instead
 * of queueing one each behind a lock, as the reference does. With {@code metaflush} on that
 * write is {@link LocalComponent#writeDurably}: its own sectors and a cache flush, never an
 * {@code fdatasync} that would also write back every dirty data page of the provider. Bitmap
 * writes are serialised, but while one flusher runs the continuations its write released (the
 * writes' dispatch), the next can already be writing the marks that arrived meanwhile.
 *
 * <p>A cleared bit may reach the disk only once the data written to its extent is durable
 * (spec §7.3), and with buffered I/O that data may still sit in the page cache when its write
 * completes. So with {@code metaflush on} the bitmap writes that serve marks never clear a bit
 * on their own (they write the current map united with the last image written). Clears are
 * made safe by the {@code activemap-clear} thread, at most once per {@link #CLEAR_INTERVAL_NANOS}:
 * it notes which extents are clean in the map, makes the provider's data durable
 * ({@code fdatasync}, which may take long: it writes back every dirty data page) while marks go
 * on being written, then lets the next bitmap write drop those bits, except for any extent a
 * write has started on since it took its note (that write's data may have missed the sync).
 * A crash thus finds at worst a second's worth of extents still dirty, which only costs their
 * resync.
 */
public final class DirtyMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirtyMap.class);
    /** How long clears may wait for their fdatasync while marks keep the flusher busy. */
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
    static final long EVICTION_CLEAR_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(
            Math.max(0, Math.min(3600, Long.getLong("hast.activemap.evictionClearSeconds", 30))));
    /**
     * Flusher threads: two let the next bitmap write overlap the last one's continuations. The
     * system property {@code hast.activemap.flushers} (1..4) overrides it for an A/B run
     * (bench/build-ab.sh; docs/performance-activemap.md).
     */
    static final int FLUSHERS = Math.max(1, Math.min(4, Integer.getInteger("hast.activemap.flushers", 2)));

    private final ActiveMap map;
    private final LocalComponent local;
    private final WorkerStats stats;
    private final ByteBuffer bitmapOut;
    /** The image last written (guarded by writeLock): what a mark's write unites with. */
    private final byte[] written;
    /**
     * Bits a clear may drop (guarded by the map's monitor): clean in the map when the clear
     * thread took its note, and not written to since; valid for a bitmap write once
     * {@link #clearGranted} says the sync that covers them has returned.
     */
    private final byte[] clearable;
    /** The clear thread's copy of the map when it takes its note (its own). */
    private final ByteBuffer clearNote;
    private volatile boolean metaflush;
    private volatile IntConsumer cleanListener;

    /** Serialises bitmap writes so an older snapshot never lands after a newer one. */
    private final Object writeLock = new Object();
    /** Guards the generations and waiters; idle flushers wait on it. */
    private final Object flushLock = new Object();
    private long requestedGeneration;
    /** The newest generation a flusher has taken a snapshot for. */
    private long claimedGeneration;
    private long writtenGeneration;
    /** The latest generation asked for by a mark; later ones up to requested are clears. */
    private long markGeneration;
    /** Some bit was cleared in the map that the disk may still have set. */
    private boolean clearsPending;
    /** A mark pushed some extent off the keepdirty list (see EVICTION_CLEAR_INTERVAL_NANOS). */
    private boolean evictionClearsPending;
    private final long evictionClearIntervalNanos;
    /** {@link #clearable} is covered by a returned fdatasync: the next bitmap write drops it. */
    private boolean clearGranted;
    /** From the clear thread's note until the bitmap write that used it has returned. */
    private boolean clearInFlight;
    /** The clear thread is parked until there is work: {@link #clearDue} unparks it. */
    private boolean clearerIdle;
    private long lastClearWrite = System.nanoTime();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Per extent: the bitmap write that makes its latest mark durable (guarded by flushLock). */
    private final long[] markedAt;
    private boolean closed;
    /** Set once the clear thread has ended: flushers end when no work is left. */
    private boolean flushersStop;
    private final Thread[] flushers = new Thread[FLUSHERS];
    private final Thread clearer;

    private record Waiter(long generation, Runnable then) {
    }

    public DirtyMap(ActiveMap map, LocalComponent local, WorkerStats stats, boolean metaflush) {
        this(map, local, stats, metaflush, EVICTION_CLEAR_INTERVAL_NANOS);
    }

    /** Tests: with the interval of the clears of evicted extents given. */
    DirtyMap(ActiveMap map, LocalComponent local, WorkerStats stats, boolean metaflush,
             long evictionClearIntervalNanos) {
        this.evictionClearIntervalNanos = evictionClearIntervalNanos;
        this.map = map;
        this.local = local;
        this.stats = stats;
        this.metaflush = metaflush;
        this.bitmapOut = ByteBuffer.allocateDirect(map.onDiskSize());
        this.written = new byte[map.onDiskSize()];
        this.clearable = new byte[map.onDiskSize()];
        this.clearNote = ByteBuffer.allocate(map.onDiskSize());
        this.markedAt = new long[map.extentCount()];
        this.clearer = FatalThreads.newThread("activemap-clear", this::clearLoop);
        for (int i = 0; i < flushers.length; i++) {
            flushers[i] = FatalThreads.start(i == 0 ? "activemap" : "activemap-" + i, this::flushLoop);
        }
        clearer.start();
    }

    public void setMetaflush(boolean metaflush) {
        synchronized (flushLock) {
            this.metaflush = metaflush;
            flushLock.notify();
        }
        LockSupport.unpark(clearer);
    }

    public ActiveMap mapForTests() {
        return map;
    }

    public int extentSize() {
        return map.extentSize();
    }

    public long dirtyBytes() {
        synchronized (map) {
            return map.dirtyBytes();
        }
    }

    public boolean isDirty(long offset) {
        synchronized (map) {
            return map.isDirty(map.extentOf(offset));
        }
    }

    /** The bitmap has this offset's extent to synchronise (online verify expects it to differ). */
    public boolean syncPending(long offset) {
        synchronized (map) {
            return map.isSyncPending(map.extentOf(offset));
        }
    }

    /**
     * A WRITE or DELETE is about to be issued (A11): marks its extents; {@code then} runs once
     * the mark is durable, at once (on this thread) when the bitmap did not change.
     */
    public void writeStart(long offset, long length, Runnable then) {
        if (length == 0) {
            then.run();
            return;
        }
        boolean changed;
        boolean mustWait;
        synchronized (map) {
            changed = map.writeStart(offset, length);
            int first = map.extentOf(offset);
            int last = map.extentOf(offset + length - 1);
            // This write's data may miss a clear's fdatasync that is already running.
            revokeClears(first, last);
            // Under the map lock, so that a bitmap write that includes this change is one asked
            // for after it. A write that changed nothing may still touch an extent another write
            // has just marked, whose bitmap write is not on disk yet: it waits for that one (the
            // reference gets this for free from its single dispatching thread).
            synchronized (flushLock) {
                long waitFor = 0;
                if (changed) {
                    waitFor = ++requestedGeneration;
                    markGeneration = waitFor;
                    for (int e = first; e <= last; e++) {
                        markedAt[e] = waitFor;
                    }
                    // One idle flusher is enough; a busy one looks for work before it waits.
                    flushLock.notify();
                    // A new extent on the keepdirty list may have pushed a clean one off it.
                    evictionClearDue();
                } else {
                    for (int e = first; e <= last; e++) {
                        waitFor = Math.max(waitFor, markedAt[e]);
                    }
                    if (waitFor <= writtenGeneration) {
                        waitFor = 0;
                    }
                }
                mustWait = waitFor > 0;
                if (mustWait) {
                    waiters.add(new Waiter(waitFor, then));
                }
            }
        }
        if (changed) {
            stats.activemapUpdate.increment();
        }
        if (!mustWait) {
            then.run();
        }
    }

    /**
     * Under the map's monitor: the extents {@code first..last} became dirty again, and whatever
     * is written to them now may miss the sync a clear is waiting for: that clear keeps them.
     */
    private void revokeClears(int first, int last) {
        for (int e = first; e <= last; e++) {
            clearable[e >>> 3] &= (byte) ~(1 << (e & 7));
        }
    }

    /** The write succeeded on the local component: release its extents. */
    public void writeComplete(long offset, long length) {
        boolean changed;
        synchronized (map) {
            changed = map.writeComplete(offset, length);
        }
        if (changed) {
            stats.activemapUpdate.increment();
            requestClear();
        }
    }

    /** The remote did not get a write (spec §7.4, A25): its extents stay dirty until synced. */
    public void needSync(long offset, long length) {
        boolean changed;
        synchronized (map) {
            changed = map.needSync(offset, length);
            if (length > 0) {
                revokeClears(map.extentOf(offset), map.extentOf(offset + length - 1));
            }
        }
        if (changed) {
            requestClear();
        }
    }

    /** One synchronisation step from the cursor (spec §7.7); {@code offset} -1 ends a pass. */
    public record SyncStep(long offset, int length, int finishedExtent) {
    }

    /** Puts the sync cursor at the first extent to synchronise; false when there is none. */
    public boolean syncRewind() {
        synchronized (map) {
            map.syncRewind();
            return map.syncPending();
        }
    }

    public boolean syncPending() {
        synchronized (map) {
            return map.syncPending();
        }
    }

    public SyncStep nextSyncStep() {
        synchronized (map) {
            long offset = map.syncOffset();
            return new SyncStep(offset, (int) map.syncLength(), map.syncFinishedExtent());
        }
    }

    /** The cursor left {@code extent}: its sync requests are released; clean extents go to disk. */
    public void extentComplete(int extent) {
        boolean changed;
        boolean clean;
        synchronized (map) {
            changed = map.extentComplete(extent);
            clean = !map.isDirty(extent);
        }
        if (changed) {
            requestClear();
        }
        IntConsumer listener = cleanListener;
        if (clean && listener != null) {
            listener.accept(extent);
        }
    }

    /** Told of every extent a synchronisation leaves clean. */
    public void setCleanListener(IntConsumer listener) {
        this.cleanListener = listener;
    }

    /** A sync step at {@code offset} failed (A7): its extent stays dirty for a later pass. */
    public void syncFailed(long offset) {
        boolean changed;
        synchronized (map) {
            int extent = map.extentOf(offset);
            changed = map.syncFailed(extent);
            revokeClears(extent, extent);
        }
        if (changed) {
            requestClear();
        }
    }

    /** Merges the peer's bitmap (spec §7.6) and writes the result before returning. */
    public void merge(ByteBuffer peer) throws IOException {
        synchronized (map) {
            if (peer.remaining() < map.mapSize()) {
                throw new IOException("the secondary's bitmap has " + peer.remaining()
                        + " bytes, " + map.mapSize() + " needed");
            }
            map.merge(peer);
            // A synchronisation may now write into any extent the peer had dirty.
            java.util.Arrays.fill(clearable, (byte) 0);
        }
        synchronized (writeLock) {
            writeNow(Mode.EXACT);
        }
    }

    /** The map changed in a way no write waits for (a clear, or needSync's bookkeeping). */
    private void requestClear() {
        synchronized (flushLock) {
            ++requestedGeneration;
            clearDue();
            if (!metaflush) {
                flushLock.notify();
            }
        }
    }

    /**
     * Under flushLock: some bit may have left the map; the clear thread wakes, also when it
     * waits out the longer interval of evictions (not on the write path: rare with keepdirty).
     */
    private void clearDue() {
        clearsPending = true;
        if (metaflush) {
            clearerIdle = false;
            LockSupport.unpark(clearer);
        }
    }

    /** Under flushLock, on the write path: a mark may have pushed an extent off keepdirty. */
    private void evictionClearDue() {
        evictionClearsPending = true;
        if (clearerIdle && metaflush) {
            // Only when it waits for work: one parked until its interval ends wakes by itself.
            clearerIdle = false;
            LockSupport.unpark(clearer);
        }
    }

    /** Under flushLock: whether a flusher has a bitmap write to make. */
    private boolean flushWork() {
        if (!metaflush) {
            // Every change goes out at once as a plain write, as in the reference.
            return requestedGeneration > claimedGeneration;
        }
        return markGeneration > claimedGeneration || clearGranted;
    }

    private void flushLoop() {
        ArrayDeque<Runnable> ready = new ArrayDeque<>();
        while (true) {
            synchronized (flushLock) {
                while (!flushWork()) {
                    if (flushersStop) {
                        return;
                    }
                    try {
                        flushLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            long target;
            boolean withClears;
            synchronized (writeLock) {
                // Claimed only now, right before the snapshot: whatever arrived while another
                // flusher was writing rides on this write.
                synchronized (flushLock) {
                    if (!flushWork()) {
                        continue;
                    }
                    target = requestedGeneration;
                    claimedGeneration = target;
                    withClears = clearGranted;
                    clearGranted = false;
                }
                try {
                    writeNow(withClears ? Mode.GRANTED_CLEARS : Mode.MARKS);
                } catch (IOException e) {
                    // Logged and counted in writeNow; the writes go ahead as in the reference.
                }
            }
            synchronized (flushLock) {
                writtenGeneration = Math.max(writtenGeneration, target);
                if (withClears) {
                    clearInFlight = false;
                    lastClearWrite = System.nanoTime();
                    LockSupport.unpark(clearer);
                }
                // Not sorted: a write may wait for an older, still pending, bitmap write.
                for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    if (w.generation() <= writtenGeneration) {
                        ready.add(w.then());
                        it.remove();
                    }
                }
                if (flushWork()) {
                    // More marks arrived meanwhile: another flusher writes them while this one
                    // runs the continuations.
                    flushLock.notify();
                }
            }
            Runnable r;
            while ((r = ready.poll()) != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("Continuation after a bitmap write failed.", e);
                }
            }
        }
    }

    /**
     * With {@code metaflush on}: at most once per {@link #CLEAR_INTERVAL_NANOS} (at once when
     * closing), notes the extents clean in the map, syncs the provider's data without holding
     * any lock a mark needs, then grants the next bitmap write the right to drop those bits.
     */
    private void clearLoop() {
        while (true) {
            // Parked, not waiting on flushLock: requestClear runs under flushLock and unparks.
            while (true) {
                long wait;
                synchronized (flushLock) {
                    if (!clearInFlight && (clearsPending || evictionClearsPending) && metaflush) {
                        long interval = clearsPending ? CLEAR_INTERVAL_NANOS : evictionClearIntervalNanos;
                        wait = closed ? 0 : lastClearWrite + interval - System.nanoTime();
                        if (wait <= 0) {
                            clearsPending = false;
                            evictionClearsPending = false;
                            clearInFlight = true;
                            break;
                        }
                    } else if (closed && !clearInFlight) {
                        return;
                    } else {
                        wait = 0;
                        clearerIdle = true;
                    }
                }
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                } else {
                    LockSupport.park(this);
                }
            }
            boolean any = false;
            synchronized (map) {
                clearNote.clear();
                map.writeBitmap(clearNote);
                for (int i = 0; i < clearable.length; i++) {
                    // written is the flushers' (writeLock): read here without it, a bit set
                    // meanwhile is only missed, and stays set on disk until the next clear.
                    clearable[i] = (byte) (~clearNote.get(i) & written[i]);
                    any |= clearable[i] != 0;
                }
            }
            if (!any) {
                synchronized (flushLock) {
                    clearInFlight = false;
                    lastClearWrite = System.nanoTime();
                }
                continue;
            }
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
                    clearGranted = true;
                    ++requestedGeneration;
                    flushLock.notify();
                } else {
                    // Nothing is known durable: the bits stay set on disk for a later try.
                    clearInFlight = false;
                    clearsPending = true;
                    lastClearWrite = System.nanoTime();
                    if (unsupported) {
                        // As a mark's write finding the same: plain writes of the map from now on.
                        LOG.warn("The local provider does not support cache flush; metaflush is off.");
                        metaflush = false;
                        flushLock.notify();
                    }
                }
            }
        }
    }

    /** What a bitmap write may carry. */
    private enum Mode {
        /** The map united with the last image: sets bits, never clears one. */
        MARKS,
        /** As {@link #MARKS}, less the bits the clear thread's returned sync made safe to drop. */
        GRANTED_CLEARS,
        /** The map as it is, after an fdatasync of its own (merge). */
        EXACT
    }

    /**
     * Writes the bitmap at offset 4096, under writeLock. With {@code metaflush} on it is one
     * synchronous write; without, a plain write of the map as it is.
     */
    private void writeNow(Mode mode) throws IOException {
        bitmapOut.clear();
        boolean durable = metaflush;
        synchronized (map) {
            map.writeBitmap(bitmapOut);
            if (durable && mode != Mode.EXACT) {
                for (int i = 0; i < written.length; i++) {
                    byte keep = mode == Mode.GRANTED_CLEARS ? (byte) (written[i] & ~clearable[i]) : written[i];
                    bitmapOut.put(i, (byte) (bitmapOut.get(i) | keep));
                }
            }
            if (mode == Mode.GRANTED_CLEARS) {
                java.util.Arrays.fill(clearable, (byte) 0);
            }
        }
        bitmapOut.flip();
        boolean flushed = true;
        try {
            if (!durable) {
                local.writeFully(bitmapOut, MetadataCodec.METADATA_SIZE);
            } else {
                if (mode == Mode.EXACT) {
                    flushed = local.flush();
                }
                flushed &= local.writeDurably(bitmapOut, MetadataCodec.METADATA_SIZE);
            }
        } catch (IOException e) {
            // A synchronous write fails as one: its bytes and its flush are not told apart.
            LOG.error("Unable to flush activemap to disk: {}.", e.getMessage());
            stats.writeError.increment();
            throw e;
        }
        bitmapOut.get(0, written);
        if (!flushed) {
            LOG.warn("The local provider does not support cache flush; metaflush is off.");
            metaflush = false;
        }
    }

    @Override
    public void close() {
        synchronized (flushLock) {
            closed = true;
        }
        LockSupport.unpark(clearer);
        join(clearer);
        synchronized (flushLock) {
            flushersStop = true;
            flushLock.notifyAll();
        }
        for (Thread flusher : flushers) {
            join(flusher);
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
