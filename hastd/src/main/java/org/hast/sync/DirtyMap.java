package org.hast.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
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
 * itself is only touched under a short lock; the bitmap is written by one flusher thread in
 * group-commit fashion: every caller that needs the dirty mark durable asks for a generation
 * and is called back once a bitmap write that started after its request is on disk. Many
 * concurrent writes that touch new extents thus share one synchronous bitmap write instead of
 * queueing one each behind a lock, as the reference does. With {@code metaflush} on that write
 * is {@link LocalComponent#writeDurably}: its own sectors and a cache flush, never an
 * {@code fdatasync} that would also write back every dirty data page of the provider.
 *
 * <p>A cleared bit may reach the disk only once the data written to its extent is durable
 * (spec §7.3), and with buffered I/O that data may still sit in the page cache when its write
 * completes. So with {@code metaflush on} the bitmap writes that serve marks never clear a bit
 * (they write the current map united with the last image written), and clears go out on their
 * own, at most once per {@link #CLEAR_INTERVAL_NANOS}, as an {@code fdatasync} of the provider
 * followed by the synchronous bitmap write (which also serves the marks it carries). A crash thus
 * finds at worst a second's worth of extents still dirty, which only costs their resync.
 */
public final class DirtyMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirtyMap.class);
    /** How long clears may wait for their fdatasync while marks keep the flusher busy. */
    static final long CLEAR_INTERVAL_NANOS = 1_000_000_000L;

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
    private final Object flushLock = new Object();
    private long requestedGeneration;
    private long writtenGeneration;
    /** The latest generation asked for by a mark; later ones up to requested are clears. */
    private long markGeneration;
    /** Some bit was cleared in the map that the disk may still have set. */
    private boolean clearsPending;
    private long lastClearWrite = System.nanoTime();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Per extent: the bitmap write that makes its latest mark durable (guarded by flushLock). */
    private final long[] markedAt;
    private boolean closed;
    private final Thread flusher;

    private record Waiter(long generation, Runnable then) {
    }

    public DirtyMap(ActiveMap map, LocalComponent local, WorkerStats stats, boolean metaflush) {
        this.map = map;
        this.local = local;
        this.stats = stats;
        this.metaflush = metaflush;
        this.bitmapOut = ByteBuffer.allocateDirect(map.onDiskSize());
        this.written = new byte[map.onDiskSize()];
        this.markedAt = new long[map.extentCount()];
        this.flusher = FatalThreads.start("activemap", this::flushLoop);
    }

    public void setMetaflush(boolean metaflush) {
        this.metaflush = metaflush;
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
                    flushLock.notifyAll();
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
            changed = map.syncFailed(map.extentOf(offset));
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
        }
        writeNow(true);
    }

    /** The map changed in a way no write waits for (a clear, or needSync's bookkeeping). */
    private void requestClear() {
        synchronized (flushLock) {
            ++requestedGeneration;
            clearsPending = true;
            flushLock.notifyAll();
        }
    }

    private void flushLoop() {
        while (true) {
            long target;
            boolean clear;
            synchronized (flushLock) {
                while (true) {
                    // A due clear goes first: it is durable for the marks it carries too.
                    long wait = clearsPending && metaflush && !closed
                            ? lastClearWrite + CLEAR_INTERVAL_NANOS - System.nanoTime() : 0;
                    if (clearsPending && wait <= 0) {
                        clear = true;
                        break;
                    }
                    if (markGeneration > writtenGeneration) {
                        clear = false;
                        break;
                    }
                    if (!clearsPending && closed) {
                        return;
                    }
                    try {
                        flushLock.wait(wait / 1_000_000 + (wait > 0 ? 1 : 0));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                target = requestedGeneration;
                if (clear) {
                    clearsPending = false;
                    lastClearWrite = System.nanoTime();
                }
            }
            try {
                writeNow(clear);
            } catch (IOException e) {
                // Logged and counted in writeNow; the writes go ahead as in the reference.
            }
            ArrayDeque<Runnable> ready = new ArrayDeque<>();
            synchronized (flushLock) {
                writtenGeneration = target;
                // Not sorted: a write may wait for an older, still pending, bitmap write.
                for (java.util.Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
                    Waiter w = it.next();
                    if (w.generation() <= target) {
                        ready.add(w.then());
                        it.remove();
                    }
                }
            }
            for (Runnable r : ready) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("Continuation after a bitmap write failed.", e);
                }
            }
        }
    }

    /**
     * Writes the bitmap at offset 4096. With {@code metaflush} on: a mark's write ({@code clear}
     * false) keeps every bit of the last image and is one synchronous write; a clear first makes
     * the data of completed writes durable ({@code fdatasync}), then writes the map as it is.
     */
    private void writeNow(boolean clear) throws IOException {
        synchronized (writeLock) {
            bitmapOut.clear();
            synchronized (map) {
                map.writeBitmap(bitmapOut);
            }
            bitmapOut.flip();
            boolean durable = metaflush;
            if (durable && !clear) {
                for (int i = 0; i < written.length; i++) {
                    bitmapOut.put(i, (byte) (bitmapOut.get(i) | written[i]));
                }
            }
            boolean flushed = true;
            try {
                if (!durable) {
                    local.writeFully(bitmapOut, MetadataCodec.METADATA_SIZE);
                } else {
                    if (clear) {
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
    }

    @Override
    public void close() {
        synchronized (flushLock) {
            closed = true;
            flushLock.notifyAll();
        }
        try {
            flusher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
