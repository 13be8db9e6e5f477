package org.hast.platform;

/**
 * The disk ioctls a local component needs: size and sector size, cache flush and delete.
 * Linux: {@code BLKGETSIZE64}, {@code BLKSSZGET}, no flush ioctl ({@code fdatasync} flushes a
 * block device's cache) and {@code BLKDISCARD}. FreeBSD: {@code DIOCGMEDIASIZE},
 * {@code DIOCGSECTORSIZE}, {@code DIOCGFLUSH} and {@code DIOCGDELETE}. Both delete ioctls take
 * two 64-bit numbers {offset, length}.
 *
 * @param flush          the cache-flush request, or 0 when the system flushes through fsync
 * @param diskIsCharDev  true where disks are character devices (FreeBSD has no block devices)
 */
public record DiskIoctls(long mediaSize, long sectorSize, long flush, long delete, boolean diskIsCharDev) {
    /** {@link #flush()} when there is no such ioctl. */
    public static final long NONE = 0;
}
