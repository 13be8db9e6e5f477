package org.hast.meta;

/**
 * Where metadata, bitmap and data sit on a provider, and the size arithmetic behind it
 * (spec §2.2, §6.2, §7.1):
 * <pre>
 * 0                 metadata, {@link MetadataCodec#METADATA_SIZE} bytes
 * 4096              bitmap, mapSize bytes (a multiple of the sector size)
 * localOff          data, dataSize bytes            localOff = 4096 + mapSize
 * localOff+dataSize = mediaSize chosen at create time
 * </pre>
 *
 * @param mediaSize  bytes of the provider HAST uses (the provider size, or {@code -m})
 * @param sectorSize the provider's sector size
 * @param extentSize bytes per bitmap bit
 * @param keepDirty  extents kept dirty
 * @param mapSize    on-disk bitmap bytes
 * @param dataSize   bytes exported as the HAST device
 * @param localOff   start of the data area
 */
public record DiskLayout(long mediaSize, int sectorSize, int extentSize, int keepDirty,
        long mapSize, long dataSize, long localOff) {

    /** {@code HAST_EXTENTSIZE}: 2 MiB. */
    public static final int DEFAULT_EXTENT_SIZE = 2 * 1024 * 1024;
    /** {@code HAST_KEEPDIRTY}. */
    public static final int DEFAULT_KEEPDIRTY = 64;
    /** The largest power of two an int extent size (the reference's {@code hr_extentsize}) holds. */
    public static final int MAX_EXTENT_SIZE = 1 << 30;

    private static final long METADATA_SIZE = MetadataCodec.METADATA_SIZE;

    /**
     * The sizes {@code hastctl create} computes, after its checks in the reference's order.
     * A null or 0 request means the default, as a 0 does for the reference's options.
     *
     * @param providerPath        the provider's path, for the messages
     * @param providerSize        the provider's size in bytes
     * @param sectorSize          the provider's sector size
     * @param requestedMediaSize  {@code -m}, or null for the provider size
     * @param requestedExtentSize {@code -e}, or null for {@link #DEFAULT_EXTENT_SIZE}
     * @param requestedKeepdirty  {@code -k}, or null for {@link #DEFAULT_KEEPDIRTY}
     * @throws LayoutException with exit code EX_DATAERR for a size the reference rejects, a
     *         non-power-of-two extent size (which the reference trips an assertion on, A4), a
     *         negative keepdirty or values beyond what the on-disk fields hold, and a media
     *         size with no room for a single sector of data
     */
    public static DiskLayout forCreate(String providerPath, long providerSize, int sectorSize,
            Long requestedMediaSize, Long requestedExtentSize, Long requestedKeepdirty)
            throws LayoutException {
        long mediaSize = orDefault(requestedMediaSize, providerSize);
        if (mediaSize > providerSize) {
            throw new LayoutException("Provided mediasize is larger than provider "
                    + providerPath + " size.");
        }
        if (!isPowerOfTwo(sectorSize)) {
            throw new LayoutException("Sector size of provider " + providerPath
                    + " is not power of 2 (" + Integer.toUnsignedString(sectorSize) + ").");
        }
        long extentSize = orDefault(requestedExtentSize, DEFAULT_EXTENT_SIZE);
        if (extentSize < sectorSize) {
            throw new LayoutException("Extent size (" + extentSize
                    + ") is less than sector size (" + sectorSize + ").");
        }
        if (extentSize % sectorSize != 0) {
            throw new LayoutException("Extent size (" + extentSize
                    + ") is not multiple of sector size (" + sectorSize + ").");
        }
        if (!isPowerOfTwo(extentSize)) {
            throw new LayoutException("Extent size (" + extentSize + ") is not a power of two.");
        }
        if (extentSize > MAX_EXTENT_SIZE) {
            throw new LayoutException("Extent size (" + extentSize
                    + ") is larger than the maximum (" + MAX_EXTENT_SIZE + ").");
        }
        long keepDirty = orDefault(requestedKeepdirty, DEFAULT_KEEPDIRTY);
        if (keepDirty < 0) {
            throw new LayoutException("Keepdirty (" + keepDirty + ") must be positive.");
        }
        if (keepDirty > Integer.MAX_VALUE) {
            throw new LayoutException("Keepdirty (" + keepDirty
                    + ") is larger than the maximum (" + Integer.MAX_VALUE + ").");
        }
        long mapSize = mediaSize > METADATA_SIZE
                ? onDiskMapBytes(mediaSize - METADATA_SIZE, (int) extentSize, sectorSize) : 0;
        long dataSize = mediaSize - METADATA_SIZE - mapSize;
        if (mediaSize <= METADATA_SIZE || dataSize < sectorSize) {
            throw new LayoutException("Media size (" + mediaSize + ") is too small for "
                    + METADATA_SIZE + " bytes of metadata, the bitmap and one sector of data.");
        }
        return new DiskLayout(mediaSize, sectorSize, (int) extentSize, (int) keepDirty, mapSize,
                dataSize, METADATA_SIZE + mapSize);
    }

    /**
     * Bytes of a bitstring of {@code nextents} bits: whole 64-bit words, as FreeBSD's
     * {@code bitstr_size()} on an LP64 host (§7.1).
     */
    public static long bitmapBytes(long nextents) {
        return ceilDiv(nextents, 64) * 8;
    }

    /** Extents covering {@code size} bytes: {@code ceil(size / extentSize)}. */
    public static long extentCount(long size, int extentSize) {
        return ceilDiv(size, extentSize);
    }

    /**
     * {@code activemap_calc_ondisk_size}: the bitmap for {@code size} bytes rounded up to the
     * sector size. Called with {@code mediasize - 4096} at create time.
     */
    public static long onDiskMapBytes(long size, int extentSize, int sectorSize) {
        return roundUp(bitmapBytes(extentCount(size, extentSize)), sectorSize);
    }

    /**
     * The bitmap a primary keeps and writes at 4096: sized from {@code dataSize}, so it may be
     * a little smaller than the on-disk region (§6.2).
     */
    public static long primaryMapBytes(long dataSize, int extentSize, int sectorSize) {
        return onDiskMapBytes(dataSize, extentSize, sectorSize);
    }

    /**
     * The bitmap length a secondary sends and zeroes on disk: the whole region between the
     * metadata and the data. The reference derives it from the current provider size, which
     * overwrites data when the resource was created with {@code -m}; fixed here (A5).
     */
    public static long secondaryMapBytes(long localOff) {
        return localOff - METADATA_SIZE;
    }

    private static long orDefault(Long requested, long fallback) {
        return requested == null || requested == 0 ? fallback : requested;
    }

    private static boolean isPowerOfTwo(long n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    private static long ceilDiv(long n, long d) {
        return n <= 0 ? 0 : (n - 1) / d + 1;
    }

    private static long roundUp(long n, long multiple) {
        return ceilDiv(n, multiple) * multiple;
    }
}
