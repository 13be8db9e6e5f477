package org.hast.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.IntConsumer;

import org.hast.activemap.ActiveMap;
import org.hast.daemon.process.FatalThreads;
import org.hast.meta.MetadataCodec;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.hast.util.ThreadEnds;
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
 * on their own (they write the current map united with the last image written): clears are
 * made safe by {@link BitmapClears}, which grants a later bitmap write the right to drop them.
 * Until then an extent pushed off keepdirty is still marked on disk, so a write that brings it
 * back needs no bitmap write at all (the reference writes one for every such mark).
 */
public final class DirtyMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirtyMap.class);
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
    private volatile boolean metaflush;
    private volatile IntConsumer cleanListener;

    /** Serialises bitmap writes so an older snapshot never lands after a newer one. */
    private final Object writeLock = new Object();
    /** Guards the generations, the waiters and the clears' state; idle flushers wait on it. */
    private final Object flushLock = new Object();
    private long requestedGeneration;
    /** The newest generation a flusher has taken a snapshot for. */
    private long claimedGeneration;
    private long writtenGeneration;
    /** The latest generation asked for by a mark; later ones up to requested are clears. */
    private long markGeneration;
    /**
     * The writes waiting for a bitmap write: generation and continuation at the same index, the
     * first {@code waiterCount} in use (guarded by flushLock). Two arrays, not a queue of
     * records: a waiter per write at qd32 was the primary's most frequent small allocation.
     */
    private long[] waiterGenerations = new long[64];
    private Runnable[] waiterContinuations = new Runnable[64];
    private int waiterCount;
    /** Per extent: the bitmap write that makes its latest mark durable (guarded by flushLock). */
    private final long[] markedAt;
    /**
     * The bits the last durable bitmap write left set on disk (guarded by flushLock; all zero
     * after a write that was not durable). A mark of an extent set here needs no bitmap write of
     * its own while {@link #mayDropInFlight} is false: its bit is on disk already, and the only
     * writes that clear bits (granted clears, a merge's exact image, a plain write without
     * metaflush) start with that flag set.
     */
    private final byte[] durablySet;
    /** A bitmap write that may clear bits has been claimed and has not returned (guarded by flushLock). */
    private boolean mayDropInFlight;
    /** Set once the clear thread has ended: flushers end when no work is left. */
    private boolean flushersStop;
    private final Thread[] flushers = new Thread[FLUSHERS];
    private final BitmapClears clears;

    /**
     * The activemap {@code map} of the provider {@code local}, whose data (extent 0) starts at
     * {@code dataOffset} ({@code localoff} in the metadata).
     */
    public DirtyMap(ActiveMap map, LocalComponent local, long dataOffset, WorkerStats stats, boolean metaflush) {
        this(map, local, dataOffset, stats, metaflush, BitmapClears.evictionIntervalProperty());
    }

    /**
     * Tests: with the interval of the clears of evicted extents given (null: as the platform
     * allows, see {@link BitmapClears}).
     */
    DirtyMap(ActiveMap map, LocalComponent local, long dataOffset, WorkerStats stats, boolean metaflush,
             Long evictionClearIntervalNanos) {
        this.map = map;
        this.local = local;
        this.stats = stats;
        this.metaflush = metaflush;
        this.bitmapOut = ByteBuffer.allocateDirect(map.onDiskSize());
        this.written = new byte[map.onDiskSize()];
        this.durablySet = new byte[map.onDiskSize()];
        this.markedAt = new long[map.extentCount()];
        this.clears = new BitmapClears(map, local, stats, dataOffset, flushLock, new ClearsFlushers(), written,
                evictionClearIntervalNanos);
        for (int i = 0; i < flushers.length; i++) {
            flushers[i] = FatalThreads.start(i == 0 ? "activemap" : "activemap-" + i, this::flushLoop);
        }
        clears.start();
    }

    /** What the clears ask of the flushers (under flushLock). */
    private final class ClearsFlushers implements BitmapClears.Flushers {
        @Override
        public long requestWrite() {
            long generation = ++requestedGeneration;
            markGeneration = generation;
            flushLock.notify();
            return generation;
        }

        @Override
        public void grantReady() {
            ++requestedGeneration;
            flushLock.notify();
        }

        @Override
        public boolean metaflush() {
            return metaflush;
        }

        @Override
        public void metaflushOff() {
            metaflush = false;
            flushLock.notify();
        }
    }

    public void setMetaflush(boolean metaflush) {
        synchronized (flushLock) {
            this.metaflush = metaflush;
            flushLock.notify();
        }
        clears.wake();
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
            // This write's data may miss a clear's write-back that is already running.
            clears.revoke(first, last);
            // Under the map lock, so that a bitmap write that includes this change is one asked
            // for after it. A write that changed nothing may still touch an extent another write
            // has just marked, whose bitmap write is not on disk yet: it waits for that one (the
            // reference gets this for free from its single dispatching thread).
            synchronized (flushLock) {
                long waitFor = 0;
                if (changed && durablyMarked(first, last)) {
                    // Extents pushed off keepdirty keep their bit on disk until a clear (for
                    // evicted ones, 30 s later), and this write revoked that clear above: a
                    // random write over a large image mostly comes back to such an extent.
                    clears.evictionDue();
                } else if (changed) {
                    waitFor = ++requestedGeneration;
                    markGeneration = waitFor;
                    for (int e = first; e <= last; e++) {
                        markedAt[e] = waitFor;
                    }
                    // One idle flusher is enough; a busy one looks for work before it waits.
                    flushLock.notify();
                    // A new extent on the keepdirty list may have pushed a clean one off it.
                    clears.evictionDue();
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
                    addWaiter(waitFor, then);
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

    /** Under flushLock: every extent from first to last is marked on disk and no write in flight may clear it. */
    private boolean durablyMarked(int first, int last) {
        if (mayDropInFlight || !metaflush) {
            return false;
        }
        for (int e = first; e <= last; e++) {
            if ((durablySet[e >>> 3] & (1 << (e & 7))) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Under writeLock and flushLock, once a bitmap write returned or failed: what is on disk now. */
    private void bitmapOnDisk(boolean durable) {
        if (durable) {
            System.arraycopy(written, 0, durablySet, 0, written.length);
        } else {
            Arrays.fill(durablySet, (byte) 0);
        }
        mayDropInFlight = false;
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
                clears.revoke(map.extentOf(offset), map.extentOf(offset + length - 1));
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
            clears.revoke(extent, extent);
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
            clears.revokeAll();
        }
        synchronized (writeLock) {
            synchronized (flushLock) {
                mayDropInFlight = true;
            }
            boolean durable = false;
            try {
                durable = writeNow(Mode.EXACT);
            } finally {
                synchronized (flushLock) {
                    bitmapOnDisk(durable);
                }
            }
        }
    }

    /** The map changed in a way no write waits for (a clear, or needSync's bookkeeping). */
    private void requestClear() {
        synchronized (flushLock) {
            ++requestedGeneration;
            clears.due();
            if (!metaflush) {
                flushLock.notify();
            }
        }
    }

    /** Under flushLock: whether a flusher has a bitmap write to make. */
    private boolean flushWork() {
        if (!metaflush) {
            // Every change goes out at once as a plain write, as in the reference.
            return requestedGeneration > claimedGeneration;
        }
        return markGeneration > claimedGeneration || clears.granted();
    }

    /** Under flushLock. */
    private void addWaiter(long generation, Runnable then) {
        if (waiterCount == waiterGenerations.length) {
            waiterGenerations = Arrays.copyOf(waiterGenerations, waiterCount * 2);
            waiterContinuations = Arrays.copyOf(waiterContinuations, waiterCount * 2);
        }
        waiterGenerations[waiterCount] = generation;
        waiterContinuations[waiterCount] = then;
        waiterCount++;
    }

    /** Under flushLock: moves the waiters that {@code writtenGeneration} covers to {@code ready}, in order. */
    private void takeReadyWaiters(ArrayDeque<Runnable> ready) {
        int kept = 0;
        for (int i = 0; i < waiterCount; i++) {
            Runnable then = waiterContinuations[i];
            waiterContinuations[i] = null;
            if (waiterGenerations[i] <= writtenGeneration) {
                ready.add(then);
            } else {
                waiterGenerations[kept] = waiterGenerations[i];
                waiterContinuations[kept] = then;
                kept++;
            }
        }
        waiterCount = kept;
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
            boolean durable;
            synchronized (writeLock) {
                // Claimed only now, right before the snapshot: whatever arrived while another
                // flusher was writing rides on this write.
                synchronized (flushLock) {
                    if (!flushWork()) {
                        continue;
                    }
                    target = requestedGeneration;
                    claimedGeneration = target;
                    withClears = clears.takeGrant();
                    // Without metaflush the map goes out as it is, evictions included.
                    mayDropInFlight = withClears || !metaflush;
                }
                try {
                    durable = writeNow(withClears ? Mode.GRANTED_CLEARS : Mode.MARKS);
                } catch (IOException e) {
                    // Logged and counted in writeNow; the writes go ahead as in the reference.
                    durable = false;
                }
                synchronized (flushLock) {
                    bitmapOnDisk(durable);
                }
            }
            synchronized (flushLock) {
                writtenGeneration = Math.max(writtenGeneration, target);
                clears.bitmapWritten(withClears, durable, target);
                // Not sorted: a write may wait for an older, still pending, bitmap write.
                takeReadyWaiters(ready);
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

    /** What a bitmap write may carry. */
    private enum Mode {
        /** The map united with the last image: sets bits, never clears one. */
        MARKS,
        /** As {@link #MARKS}, less the bits {@link BitmapClears} made safe to drop. */
        GRANTED_CLEARS,
        /** The map as it is, after an fdatasync of its own (merge). */
        EXACT
    }

    /**
     * Writes the bitmap at offset 4096, under writeLock. With {@code metaflush} on it is one
     * synchronous write; without, a plain write of the map as it is.
     *
     * @return whether the write was durable (synchronous, with a cache flush)
     */
    private boolean writeNow(Mode mode) throws IOException {
        bitmapOut.clear();
        boolean durable = metaflush;
        synchronized (map) {
            map.writeBitmap(bitmapOut);
            if (durable && mode != Mode.EXACT) {
                for (int i = 0; i < written.length; i++) {
                    byte keep = mode == Mode.GRANTED_CLEARS ? clears.keptOfWritten(i) : written[i];
                    bitmapOut.put(i, (byte) (bitmapOut.get(i) | keep));
                }
            }
            if (mode == Mode.GRANTED_CLEARS) {
                clears.grantUsed();
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
        return durable && flushed;
    }

    @Override
    public void close() {
        clears.close();
        synchronized (flushLock) {
            flushersStop = true;
            flushLock.notifyAll();
        }
        for (Thread flusher : flushers) {
            ThreadEnds.awaitBriefly(flusher);
        }
    }

}
