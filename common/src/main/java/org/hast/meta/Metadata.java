package org.hast.meta;

import java.util.Objects;

import org.hast.proto.Role;

/**
 * The contents of a provider's first 4096 bytes (spec §6.1), as an immutable value.
 *
 * <p>{@code extentSize} and {@code keepDirty} are uint32 on disk and int in the reference
 * ({@code hr_extentsize}, {@code hr_keepdirty}); they are kept as int here and written back as
 * the same 32 bits. {@code resUid}, {@code localCnt} and {@code remoteCnt} are uint64 held as
 * raw bits. The counter pair is the writer's own: primary-side counters when written by a
 * primary or by {@code hastctl create}, secondary-side ones when written by a secondary.
 *
 * @param resource  resource name
 * @param dataSize  bytes exported as the HAST device
 * @param extentSize bytes per bitmap bit
 * @param keepDirty number of extents kept dirty (LRU)
 * @param localOff  start of the data area on the provider ({@code offset} field)
 * @param resUid    resource unique id, 0 until first use
 * @param localCnt  local modification counter
 * @param remoteCnt peer's counter as last synchronised
 * @param prevRole  role of the writer: INIT, PRIMARY or SECONDARY
 */
public record Metadata(String resource, long dataSize, int extentSize, int keepDirty,
        long localOff, long resUid, long localCnt, long remoteCnt, Role prevRole) {

    public Metadata {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(prevRole, "prevRole");
        if (prevRole == Role.UNDEF) {
            throw new IllegalArgumentException("prevrole must be init, primary or secondary");
        }
    }

    /** What {@code hastctl create} writes: role init, resuid and both counters 0 (§2.2). */
    public static Metadata created(String resource, DiskLayout layout) {
        return new Metadata(resource, layout.dataSize(), layout.extentSize(), layout.keepDirty(),
                layout.localOff(), 0, 0, 0, Role.INIT);
    }

    public Metadata withCounters(long newLocalCnt, long newRemoteCnt) {
        return new Metadata(resource, dataSize, extentSize, keepDirty, localOff, resUid,
                newLocalCnt, newRemoteCnt, prevRole);
    }

    public Metadata withResUid(long newResUid) {
        return new Metadata(resource, dataSize, extentSize, keepDirty, localOff, newResUid,
                localCnt, remoteCnt, prevRole);
    }

    public Metadata withPrevRole(Role newPrevRole) {
        return new Metadata(resource, dataSize, extentSize, keepDirty, localOff, resUid,
                localCnt, remoteCnt, newPrevRole);
    }

    /** The on-disk bitmap length a secondary uses: the whole region up to the data (A5). */
    public long onDiskMapSize() {
        return DiskLayout.secondaryMapBytes(localOff);
    }
}
