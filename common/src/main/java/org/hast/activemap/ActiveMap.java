package org.hast.activemap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Dirty-extent tracking of the primary (spec §7): which extents of the data area may differ
 * between the nodes, both in memory and in the on-disk bitmap at offset 4096.
 *
 * <p>Like the reference's {@code activemap.c} this is pure logic: every mutator returns
 * whether the on-disk bitmap must be rewritten, and the caller does the write (with
 * {@link #writeBitmap(ByteBuffer)}), before the data write when {@link #writeStart} says so.
 * Not thread-safe: the caller serialises all calls (the reference's {@code hr_amp_lock}).
 * Nothing is allocated after construction.
 *
 * <p>State per extent {@code e}:
 * <ul>
 * <li>{@code memtab[e]}: outstanding users of the extent: one per in-flight write (or delete,
 * decisions A11), plus "requests needed to sync it" while it is waiting for sync;
 * <li>{@code memmap}: bit set iff {@code memtab[e] > 0}; {@code ndirty} counts these bits;
 * <li>{@code syncmap}: extents still to be synchronised;
 * <li>the keepdirty list ({@link KeepDirtyList}); on disk goes memmap ∪ keepdirty.
 * </ul>
 *
 * <p>Deliberate differences from the reference (decisions §2):
 * <ul>
 * <li>A32: {@link #merge} adds the sync requests to an extent's count instead of assigning
 * them, so writes in flight during a reconnect still balance.
 * <li>A7: a failed sync step can keep its extent dirty ({@link #syncFailed}); the sync cursor
 * walks forward only, so a kept extent is retried on the next pass, not in a loop.
 * <li>A25: {@link #needSync} may be called for a write at any point of its life, see there.
 * </ul>
 * Where the reference asserts (an unbalanced completion, an offset outside the data area),
 * this class throws {@link IllegalStateException} or {@link IllegalArgumentException}
 * before changing anything.
 */
public final class ActiveMap {
    /** MAXPHYS: the default largest request, and so the sync step (spec §7.7). */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

    /** Cursor states besides an offset, as in the reference. */
    private static final long SYNC_NONE = -2;
    private static final long SYNC_FROM_START = -1;

    private final long dataSize;
    private final int extentSize;
    private final int extentShift;
    private final int extentCount;
    private final int sectorSize;
    private final int maxRequestBytes;
    private final int mapSize;
    private final int onDiskSize;

    private final int[] memtab;
    private final long[] memmap;
    private final long[] syncmap;
    private final long[] diskmap;
    private final KeepDirtyList keepDirty;
    private int ndirty;

    private final ByteBuffer bitmapBuffer;

    private long syncOff = SYNC_NONE;
    /** Where the search for the next extent to sync starts: the cursor only moves forward. */
    private int syncSearchFrom;
    /** The extent the cursor is in must stay in syncmap when the cursor leaves it (A7). */
    private boolean syncCurrentFailed;
    private long syncLength;
    private int syncFinishedExtent = -1;

    /** A map with the default request size ({@value #DEFAULT_MAX_REQUEST_BYTES} bytes). */
    public ActiveMap(long dataSize, int extentSize, int keepDirty, int sectorSize) {
        this(dataSize, extentSize, keepDirty, sectorSize, DEFAULT_MAX_REQUEST_BYTES);
    }

    /**
     * @param dataSize bytes of the data area ({@code datasize} in the metadata), positive
     * @param extentSize bytes per extent, a power of two
     * @param keepDirty length limit of the keepdirty list, positive
     * @param sectorSize the provider's sector size, a power of two; the on-disk bitmap is
     *     rounded up to it
     * @param maxRequestBytes MAXPHYS: the step of the sync cursor, which also fixes how many
     *     requests the sync of one extent takes
     */
    public ActiveMap(long dataSize, int extentSize, int keepDirty, int sectorSize,
            int maxRequestBytes) {
        if (dataSize <= 0) {
            throw new IllegalArgumentException("datasize must be positive: " + dataSize);
        }
        if (extentSize <= 0 || Integer.bitCount(extentSize) != 1) {
            throw new IllegalArgumentException("extentsize must be a power of two: " + extentSize);
        }
        if (sectorSize <= 0 || Integer.bitCount(sectorSize) != 1) {
            throw new IllegalArgumentException("sectorsize must be a power of two: " + sectorSize);
        }
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("maxRequestBytes must be positive: "
                    + maxRequestBytes);
        }
        long extents = (dataSize - 1) / extentSize + 1;
        if (extents > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("too many extents: " + extents);
        }
        this.dataSize = dataSize;
        this.extentSize = extentSize;
        this.extentShift = Integer.numberOfTrailingZeros(extentSize);
        this.extentCount = (int) extents;
        this.sectorSize = sectorSize;
        this.maxRequestBytes = maxRequestBytes;
        this.mapSize = mapSize(dataSize, extentSize);
        this.onDiskSize = onDiskSize(dataSize, extentSize, sectorSize);
        this.memtab = new int[extentCount];
        this.memmap = ExtentBits.create(extentCount);
        this.syncmap = ExtentBits.create(extentCount);
        this.diskmap = ExtentBits.create(extentCount);
        this.keepDirty = new KeepDirtyList(keepDirty);
        this.bitmapBuffer = ByteBuffer.allocate(onDiskSize).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Bytes of the bitmap proper ({@code activemap_size}): {@code ceil(extents / 64) * 8}, as
     * current FreeBSD stores it in {@code unsigned long} words.
     */
    public static int mapSize(long dataSize, int extentSize) {
        long extents = (dataSize - 1) / extentSize + 1;
        return (int) (((extents + 63) >>> 6) << 3);
    }

    /** Bytes of the bitmap on disk ({@code activemap_calc_ondisk_size}): rounded to sectors. */
    public static int onDiskSize(long dataSize, int extentSize, int sectorSize) {
        int size = mapSize(dataSize, extentSize);
        return (size + sectorSize - 1) & -sectorSize;
    }

    public long dataSize() {
        return dataSize;
    }

    public int extentSize() {
        return extentSize;
    }

    public int extentCount() {
        return extentCount;
    }

    public int sectorSize() {
        return sectorSize;
    }

    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** {@link #mapSize(long, int)} for this map. */
    public int mapSize() {
        return mapSize;
    }

    /** {@link #onDiskSize(long, int, int)} for this map: what {@link #bitmap()} holds. */
    public int onDiskSize() {
        return onDiskSize;
    }

    /** Extents dirty in memory ({@code ndirty}). */
    public long dirtyExtents() {
        return ndirty;
    }

    /** {@code dirty} as hastctl shows it: dirty extents × extent size. */
    public long dirtyBytes() {
        return (long) ndirty * extentSize;
    }

    /** Whether the extent is dirty in memory (has writes in flight or awaits sync). */
    public boolean isDirty(int extent) {
        checkExtent(extent);
        return ExtentBits.test(memmap, extent);
    }

    /** Whether the extent is set in the bitmap {@link #bitmap()} would produce now. */
    public boolean isDirtyOnDisk(int extent) {
        checkExtent(extent);
        return ExtentBits.test(memmap, extent) || keepDirty.contains(extent);
    }

    /** Whether the extent still has to be synchronised. */
    public boolean isSyncPending(int extent) {
        checkExtent(extent);
        return ExtentBits.test(syncmap, extent);
    }

    /** Whether any extent still has to be synchronised. */
    public boolean syncPending() {
        return ExtentBits.nextSetBit(syncmap, 0, extentCount) >= 0;
    }

    /** Extents still to be synchronised. */
    public int syncPendingExtents() {
        return ExtentBits.cardinality(syncmap);
    }

    /** {@code memtab[extent]}: writes in flight plus sync requests still owed. */
    public int pendingCount(int extent) {
        checkExtent(extent);
        return memtab[extent];
    }

    /** The keepdirty list, most recent first (allocates; for tests and diagnostics). */
    public int[] keepDirtyExtents() {
        return keepDirty.toArray();
    }

    /** The extent holding byte {@code offset} of the data area. */
    public int extentOf(long offset) {
        if (offset < 0 || offset >= dataSize) {
            throw new IllegalArgumentException("offset " + offset + " outside the data area of "
                    + dataSize + " bytes");
        }
        return (int) (offset >>> extentShift);
    }

    /** First byte of {@code extent}. */
    public long extentOffset(int extent) {
        checkExtent(extent);
        return (long) extent << extentShift;
    }

    /** Bytes of {@code extent}: the extent size, or less for the last one. */
    public long extentLength(int extent) {
        long start = extentOffset(extent);
        return Math.min(extentSize, dataSize - start);
    }

    /** Sync requests (MAXPHYS steps) needed for {@code extent}: ceil(length / MAXPHYS). */
    public int requestsPerExtent(int extent) {
        return (int) ((extentLength(extent) - 1) / maxRequestBytes + 1);
    }

    /**
     * Before a WRITE (or, decisions A11, a DELETE) of {@code [offset, offset+length)} is
     * issued: each extent gets one more user and moves to the head of the keepdirty list.
     * Returns true when an extent was newly added to that list, i.e. the on-disk bitmap must
     * be rewritten before the data write is queued. A zero length does nothing and returns
     * false (the matching {@link #writeComplete} must then also use length 0).
     */
    public boolean writeStart(long offset, long length) {
        if (length == 0) {
            return false;
        }
        int first = firstExtent(offset, length);
        int last = lastExtent(offset, length);
        boolean modified = false;
        for (int e = first; e <= last; e++) {
            if (memtab[e]++ == 0) {
                ExtentBits.set(memmap, e);
                ndirty++;
            }
            if (keepDirty.touch(e)) {
                modified = true;
            }
        }
        return modified;
    }

    /**
     * After the write started by {@link #writeStart} with the same range completed
     * successfully (the reference skips this when both components failed, leaving the extents
     * dirty until the worker restarts). Each extent loses one user; one that becomes clean
     * and is not on the keepdirty list makes the method return true: rewrite the bitmap.
     *
     * @throws IllegalStateException if an extent has no user to release (nothing changes)
     */
    public boolean writeComplete(long offset, long length) {
        if (length == 0) {
            return false;
        }
        int first = firstExtent(offset, length);
        int last = lastExtent(offset, length);
        for (int e = first; e <= last; e++) {
            if (memtab[e] == 0) {
                throw new IllegalStateException("writeComplete(" + offset + ", " + length
                        + "): extent " + e + " has no write in flight");
            }
        }
        boolean modified = false;
        for (int e = first; e <= last; e++) {
            if (--memtab[e] == 0) {
                ExtentBits.clear(memmap, e);
                ndirty--;
                if (!keepDirty.contains(e)) {
                    modified = true;
                }
            }
        }
        return modified;
    }

    /**
     * Marks every extent of the range for synchronisation (spec §7.4): one not yet in
     * syncmap is added to it and gets {@link #requestsPerExtent} more users (it becomes
     * dirty if it was not). Returns true when anything changed: rewrite the bitmap. The
     * extents stay dirty until their sync completes ({@link #extentComplete}).
     *
     * <p>Contract for a remote WRITE or DELETE that did not succeed (decisions A25, A10): call
     * this for its range whenever the failure becomes known, before or after the request's
     * {@link #writeComplete}; the counts stay balanced either way because the write's own
     * user and the sync users are separate ({@code writeComplete} releases one,
     * {@code extentComplete} releases the sync requests). If the sync cursor is inside one
     * of these extents right now, the range may already have been copied, so that extent is
     * kept for the next pass exactly as {@link #syncFailed} does. The cursor is not rewound.
     */
    public boolean needSync(long offset, long length) {
        if (length == 0) {
            return false;
        }
        int first = firstExtent(offset, length);
        int last = lastExtent(offset, length);
        boolean modified = false;
        for (int e = first; e <= last; e++) {
            if (ExtentBits.test(syncmap, e)) {
                if (isCursorIn(e)) {
                    syncCurrentFailed = true;
                }
                continue;
            }
            markForSync(e);
            modified = true;
        }
        return modified;
    }

    /**
     * After the sync cursor reported {@code extent} finished ({@link #syncFinishedExtent}):
     * releases its sync requests. Returns true when it became clean: rewrite the bitmap
     * (regardless of the keepdirty list, as the reference does).
     *
     * @throws IllegalStateException if the extent does not owe that many requests
     */
    public boolean extentComplete(int extent) {
        checkExtent(extent);
        int reqs = requestsPerExtent(extent);
        if (memtab[extent] < reqs) {
            throw new IllegalStateException("extentComplete(" + extent + "): " + memtab[extent]
                    + " users, " + reqs + " sync requests expected");
        }
        memtab[extent] -= reqs;
        if (memtab[extent] == 0) {
            ExtentBits.clear(memmap, extent);
            ndirty--;
            return true;
        }
        return false;
    }

    /**
     * Primary start (spec §7.6, {@code activemap_copyin}): every extent set in the on-disk
     * bitmap (read from {@code onDisk}'s position, which does not move; at least
     * {@link #mapSize()} bytes) becomes dirty and to be synchronised, owing
     * {@link #requestsPerExtent} requests. Bits beyond the last extent are ignored. The
     * cursor is rewound. Meant for a fresh map.
     *
     * @throws IllegalStateException if the map already has dirty extents
     */
    public void load(ByteBuffer onDisk) {
        checkMapLength(onDisk);
        if (ndirty != 0 || syncPending()) {
            throw new IllegalStateException("load() on a map that already has dirty extents");
        }
        ExtentBits.readLe(memmap, onDisk, extentCount);
        System.arraycopy(memmap, 0, syncmap, 0, memmap.length);
        ndirty = 0;
        for (int e = ExtentBits.nextSetBit(memmap, 0, extentCount); e >= 0;
                e = ExtentBits.nextSetBit(memmap, e + 1, extentCount)) {
            memtab[e] = requestsPerExtent(e);
            ndirty++;
        }
        syncRewind();
    }

    /**
     * Connect (spec §7.6, {@code activemap_merge}): ORs in the peer's bitmap, read from
     * {@code peer}'s position (which does not move); only the first {@link #mapSize()} bytes
     * are used, the peer may send more (Appendix A #5). Each extent dirty there but not yet
     * to be synchronised here is marked for sync; its sync requests are added to whatever
     * writes it has in flight (decisions A32; the reference assigns). The cursor is rewound.
     * The caller then writes the bitmap before syncing.
     *
     * @throws IllegalArgumentException if fewer than {@link #mapSize()} bytes are given (the
     *     handshake must check the peer's map size first)
     */
    public void merge(ByteBuffer peer) {
        checkMapLength(peer);
        ExtentBits.readLe(diskmap, peer, extentCount);
        for (int e = ExtentBits.nextSetBit(diskmap, 0, extentCount); e >= 0;
                e = ExtentBits.nextSetBit(diskmap, e + 1, extentCount)) {
            if (!ExtentBits.test(syncmap, e)) {
                markForSync(e);
            }
        }
        syncRewind();
    }

    /**
     * The on-disk bitmap: memmap ∪ keepdirty, {@link #onDiskSize()} bytes, zero after the
     * bitmap proper. Returns this map's internal buffer (position 0, limit
     * {@link #onDiskSize()}), rewritten by every call: write it out before the next call and
     * do not modify it.
     */
    public ByteBuffer bitmap() {
        fillDiskmap();
        ExtentBits.writeLe(diskmap, bitmapBuffer, 0, onDiskSize);
        bitmapBuffer.clear();
        return bitmapBuffer;
    }

    /** Writes {@link #onDiskSize()} bitmap bytes to {@code out} at its position and advances. */
    public void writeBitmap(ByteBuffer out) {
        writeBitmap(out, onDiskSize);
    }

    /**
     * Writes the bitmap padded with zeros to exactly {@code length} bytes (at least
     * {@link #mapSize()}), e.g. a length derived from the metadata's {@code localoff}
     * (decisions A5), to {@code out} at its position, and advances it.
     */
    public void writeBitmap(ByteBuffer out, int length) {
        if (length < mapSize) {
            throw new IllegalArgumentException("bitmap length " + length + " < map size "
                    + mapSize);
        }
        if (out.remaining() < length) {
            throw new IllegalArgumentException("buffer has " + out.remaining() + " bytes, "
                    + length + " needed");
        }
        fillDiskmap();
        ExtentBits.writeLe(diskmap, out, out.position(), length);
        out.position(out.position() + length);
    }

    // ---- Synchronisation cursor (spec §7.7) ----

    /**
     * Puts the cursor before the first extent to synchronise, if any; a failure mark on the
     * extent the cursor was in is dropped (that extent is still in syncmap and will be
     * synchronised from its start).
     */
    public void syncRewind() {
        syncCurrentFailed = false;
        syncSearchFrom = 0;
        syncOff = syncPending() ? SYNC_FROM_START : SYNC_NONE;
    }

    /**
     * Advances the cursor and returns the offset of the next step, or -1 when the pass is
     * over. After each call {@link #syncLength()} is the step's length and
     * {@link #syncFinishedExtent()} the extent the cursor just left (or -1): the caller then
     * calls {@link #extentComplete} for it and rewrites the bitmap if told to. An extent can
     * be reported finished by the very call that returns -1.
     *
     * <p>As in the reference, the extent is left (and taken out of syncmap) when the next
     * step would start in another extent or at or past the end of the data area; steps are
     * MAXPHYS long, cut at the end of the extent and of the data area. Unlike the reference
     * the search for the next extent continues after the one just left rather than from 0,
     * so extents added behind the cursor, or kept by {@link #syncFailed}, wait for the next
     * pass ({@link #syncRewind()}); when a pass ends with {@link #syncPending()} still true
     * the caller rewinds (after a pause, if steps failed) instead of declaring the nodes in
     * sync.
     */
    public long syncOffset() {
        syncFinishedExtent = -1;
        syncLength = 0;
        if (syncOff == SYNC_NONE) {
            return -1;
        }
        if (syncOff >= 0 && (syncOff + maxRequestBytes >= dataSize
                || extentOf(syncOff) != extentOf(syncOff + maxRequestBytes))) {
            int e = extentOf(syncOff);
            if (syncCurrentFailed) {
                syncCurrentFailed = false; // stays in syncmap and dirty: retried next pass
            } else {
                ExtentBits.clear(syncmap, e);
                syncFinishedExtent = e;
            }
            syncSearchFrom = e + 1;
            syncOff = SYNC_FROM_START;
        }
        if (syncOff == SYNC_FROM_START) {
            int e = ExtentBits.nextSetBit(syncmap, syncSearchFrom, extentCount);
            if (e < 0) {
                syncOff = SYNC_NONE;
                return -1;
            }
            syncOff = (long) e << extentShift;
        } else {
            syncOff += maxRequestBytes;
            if (syncOff >= dataSize) {
                syncOff = SYNC_NONE;
                return -1;
            }
        }
        long extentEnd = ((long) extentOf(syncOff) << extentShift) + extentSize;
        syncLength = Math.min(Math.min(extentEnd, dataSize) - syncOff, maxRequestBytes);
        return syncOff;
    }

    /** Length of the step {@link #syncOffset()} returned last (0 when it returned -1). */
    public long syncLength() {
        return syncLength;
    }

    /** The extent the last {@link #syncOffset()} call finished, or -1. */
    public int syncFinishedExtent() {
        return syncFinishedExtent;
    }

    /**
     * A sync step of {@code extent} failed (decisions A7): the extent must stay dirty and be
     * synchronised again on a later pass. If the cursor is still inside it, it is simply not
     * reported finished nor taken out of syncmap when the cursor leaves it. If the cursor
     * already left it, it is marked for sync again like {@link #needSync} does (this is
     * balanced whether or not the caller already called {@link #extentComplete} for it).
     * Returns true when the bitmap must be rewritten.
     */
    public boolean syncFailed(int extent) {
        checkExtent(extent);
        if (ExtentBits.test(syncmap, extent)) {
            if (isCursorIn(extent)) {
                syncCurrentFailed = true;
            }
            return false;
        }
        markForSync(extent);
        return true;
    }

    // ---- helpers ----

    private void markForSync(int e) {
        ExtentBits.set(syncmap, e);
        if (!ExtentBits.test(memmap, e)) {
            ExtentBits.set(memmap, e);
            ndirty++;
        }
        memtab[e] += requestsPerExtent(e);
    }

    private boolean isCursorIn(int extent) {
        return syncOff >= 0 && extentOf(syncOff) == extent;
    }

    private void fillDiskmap() {
        System.arraycopy(memmap, 0, diskmap, 0, memmap.length);
        keepDirty.fill(diskmap);
    }

    private int firstExtent(long offset, long length) {
        if (offset < 0 || length < 0 || length > dataSize - offset) {
            throw new IllegalArgumentException("range " + offset + "+" + length
                    + " outside the data area of " + dataSize + " bytes");
        }
        return (int) (offset >>> extentShift);
    }

    private int lastExtent(long offset, long length) {
        return (int) ((offset + length - 1) >>> extentShift);
    }

    private void checkExtent(int extent) {
        if (extent < 0 || extent >= extentCount) {
            throw new IllegalArgumentException("extent " + extent + " outside 0.."
                    + (extentCount - 1));
        }
    }

    private void checkMapLength(ByteBuffer map) {
        if (map.remaining() < mapSize) {
            throw new IllegalArgumentException("bitmap of " + map.remaining()
                    + " bytes is shorter than the map size " + mapSize);
        }
    }
}
