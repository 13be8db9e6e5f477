package org.hast.proto;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;

/**
 * The secondary worker's answer to handshake step 2 (spec §4.3, §8), sent on its
 * <b>remote-in</b> (the primary's out). Two variants share the first four fields:
 * <pre>
 * accepted: datasize int64, extentsize int32, localcnt uint64, remotecnt uint64,
 *           [virgin int8 1], syncsrc uint8, mapsize uint32   [+ payload fields]
 * refused:  datasize int64, extentsize int32, localcnt uint64, remotecnt uint64,
 *           errmsg string
 * </pre>
 * When {@code mapsize > 0} the secondary's bitmap follows as a payload; its fields
 * ({@code compression}, {@code checksum}, {@code hash}, {@code size}) belong to the payload
 * stage ({@link PayloadFields}) and are neither written nor read here.
 *
 * @param dataSize   the secondary's data size in bytes
 * @param extentSize the secondary's extent size in bytes
 * @param localCnt   the secondary's {@code localcnt} (unsigned 64 bits)
 * @param remoteCnt  the secondary's {@code remotecnt} (unsigned 64 bits)
 * @param virgin     whether the secondary just adopted the primary's UID (§8 row 1)
 * @param syncSrc    PRIMARY or SECONDARY when accepted, UNDEF when refused
 * @param mapSize    bitmap bytes that follow, 0..2^32-1 (0 when refused)
 * @param errmsg     the refusal, or null when accepted
 */
public record HandshakeParams(long dataSize, int extentSize, long localCnt, long remoteCnt,
        boolean virgin, SyncSource syncSrc, long mapSize, String errmsg) {
    public static final String FIELD_DATASIZE = "datasize";
    public static final String FIELD_EXTENTSIZE = "extentsize";
    public static final String FIELD_LOCALCNT = "localcnt";
    public static final String FIELD_REMOTECNT = "remotecnt";
    public static final String FIELD_VIRGIN = "virgin";
    public static final String FIELD_SYNCSRC = "syncsrc";
    public static final String FIELD_MAPSIZE = "mapsize";
    public static final String FIELD_ERRMSG = "errmsg";
    /** The errmsg of §8 row 6; the primary emits the {@code split-brain} event on it. */
    public static final String SPLIT_BRAIN = "Split-brain condition!";

    public HandshakeParams {
        if (syncSrc == null) {
            throw new NullPointerException("syncSrc");
        }
        if (errmsg == null) {
            if (syncSrc == SyncSource.UNDEF) {
                throw new IllegalArgumentException("an accepted reply names a sync source");
            }
            if (mapSize < 0 || mapSize > 0xffff_ffffL) {
                throw new IllegalArgumentException("mapsize " + mapSize + " is not a uint32");
            }
        } else if (virgin || syncSrc != SyncSource.UNDEF || mapSize != 0) {
            throw new IllegalArgumentException("a refusal carries only the four counters and"
                    + " errmsg");
        }
    }

    /** The reply of §8 rows 1, 3, 4, 5 and 7. */
    public static HandshakeParams accepted(long dataSize, int extentSize, long localCnt,
            long remoteCnt, boolean virgin, SyncSource syncSrc, long mapSize) {
        return new HandshakeParams(dataSize, extentSize, localCnt, remoteCnt, virgin, syncSrc,
                mapSize, null);
    }

    /** The reply of §8 rows 2 and 6. */
    public static HandshakeParams refused(long dataSize, int extentSize, long localCnt,
            long remoteCnt, String errmsg) {
        if (errmsg == null) {
            throw new NullPointerException("errmsg");
        }
        return new HandshakeParams(dataSize, extentSize, localCnt, remoteCnt, false,
                SyncSource.UNDEF, 0, errmsg);
    }

    public boolean isRefused() {
        return errmsg != null;
    }

    /** Whether the refusal is the split-brain one (the primary then emits the event). */
    public boolean isSplitBrain() {
        return SPLIT_BRAIN.equals(errmsg);
    }

    /** The fields in the reference's order, without payload fields. */
    public NvWriter toNv() {
        NvWriter nv = new NvWriter(256)
                .addInt64(FIELD_DATASIZE, dataSize)
                .addInt32(FIELD_EXTENTSIZE, extentSize)
                .addUint64(FIELD_LOCALCNT, localCnt)
                .addUint64(FIELD_REMOTECNT, remoteCnt);
        if (errmsg != null) {
            return nv.addString(FIELD_ERRMSG, errmsg);
        }
        if (virgin) {
            nv.addInt8(FIELD_VIRGIN, 1);
        }
        return nv.addUint8(FIELD_SYNCSRC, syncSrc.code())
                .addUint32(FIELD_MAPSIZE, mapSize);
    }

    /**
     * Reads the reply as the primary does: an {@code errmsg} string makes it a refusal, whose
     * other fields are read leniently (the primary only logs the message). Otherwise
     * {@code datasize}, {@code extentsize}, {@code localcnt}, {@code remotecnt},
     * {@code syncsrc} and {@code mapsize} must exist with their exact types (the reference
     * reads them leniently, but every secondary sends them), {@code syncsrc} must be 1 or 2
     * (anything else would leave the sync direction undefined), and {@code virgin} counts when
     * a field of that name exists. Comparing the sizes with the local ones is the caller's job
     * ("Data size differs…", "Extent size differs…").
     *
     * @throws ProtocolException for a missing or mistyped field or an unknown sync source
     */
    public static HandshakeParams fromNv(NvMessage nv) throws ProtocolException {
        String errmsg = nv.getString(FIELD_ERRMSG);
        if (errmsg != null) {
            return refused(nv.getInt64(FIELD_DATASIZE), nv.getInt32(FIELD_EXTENTSIZE),
                    nv.getUint64(FIELD_LOCALCNT), nv.getUint64(FIELD_REMOTECNT), errmsg);
        }
        long dataSize = NvFields.requireScalar(nv, NvType.INT64, FIELD_DATASIZE);
        int extentSize = (int) NvFields.requireScalar(nv, NvType.INT32, FIELD_EXTENTSIZE);
        long localCnt = NvFields.requireScalar(nv, NvType.UINT64, FIELD_LOCALCNT);
        long remoteCnt = NvFields.requireScalar(nv, NvType.UINT64, FIELD_REMOTECNT);
        boolean virgin = nv.has(FIELD_VIRGIN);
        int syncSrc = (int) NvFields.requireScalar(nv, NvType.UINT8, FIELD_SYNCSRC);
        if (SyncSource.fromCode(syncSrc) == SyncSource.UNDEF) {
            throw new ProtocolException("Header contains invalid 'syncsrc' (" + syncSrc + ").");
        }
        long mapSize = NvFields.requireScalar(nv, NvType.UINT32, FIELD_MAPSIZE);
        return accepted(dataSize, extentSize, localCnt, remoteCnt, virgin,
                SyncSource.fromCode(syncSrc), mapSize);
    }
}
