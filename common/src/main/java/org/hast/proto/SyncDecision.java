package org.hast.proto;

/**
 * The secondary's choice when a primary connects (spec §8): a pure function of the
 * secondary's stored {@code (resuid, localcnt, remotecnt)} and the primary's step-2 values
 * ({@link HandshakeSecond}). The rows are evaluated top to bottom:
 * <pre>
 * # condition                                        kind          bitmap sent     syncsrc
 * 1 S.resuid == 0                                    ADOPT_UID     none if P virgin,
 *                                                                  else all-ones   PRIMARY
 * 2 S.resuid != P.resuid                             UID_MISMATCH  -               -
 * 3 S.local  > P.remote and S.remote == P.local      SYNC          on-disk         SECONDARY
 * 4 S.local == P.remote and S.remote == P.local      SYNC          on-disk         PRIMARY
 * 5 S.local == P.remote and S.remote  < P.local      SYNC          on-disk         PRIMARY
 * 6 S.local  > P.remote and P.local   > S.remote     SPLIT_BRAIN   -               -
 * 7 anything else ("should never happen")            SYNC          all-ones        SECONDARY if
 *                                                                  S.local > P.remote, else PRIMARY
 * </pre>
 * Counters are unsigned 64-bit values compared with {@link Long#compareUnsigned}. The caller
 * does the I/O: in row 1 it persists the adopted UID before replying; in rows 2 and 6 it sends
 * the refusal and exits EX_CONFIG (row 6 also logs "Split-brain detected, exiting." and emits
 * {@code split-brain}); in row 7 it logs a warning with the four counters.
 *
 * @param kind         what to do
 * @param row          the table row, 1..7
 * @param syncSrc      the {@code syncsrc} to send, UNDEF for the two refusals
 * @param bitmap       which bitmap goes with the reply
 * @param errmsg       the refusal text for rows 2 and 6, else null
 * @param neverHappens row 7: the reference's "should never happen" full sync
 */
public record SyncDecision(Kind kind, int row, SyncSource syncSrc, Bitmap bitmap, String errmsg,
        boolean neverHappens) {

    /** The outcome of the table. */
    public enum Kind {
        /** Row 1: a fresh secondary takes the primary's UID and replies {@code virgin = 1}. */
        ADOPT_UID,
        /** Row 2: different resources; refuse with the UID mismatch message. */
        UID_MISMATCH,
        /** Row 6: both sides wrote independently; refuse with "Split-brain condition!". */
        SPLIT_BRAIN,
        /** Rows 3, 4, 5 and 7: accept and synchronise in the direction of {@code syncSrc}. */
        SYNC
    }

    /** The bitmap attached to an accepted reply ({@code mapsize} and the payload). */
    public enum Bitmap {
        /** Nothing: {@code mapsize = 0} (row 1 with a virgin primary, and the refusals). */
        NONE,
        /** The bitmap as read from the secondary's disk, possibly all zeros (rows 3–5). */
        ON_DISK,
        /** Every extent dirty: a full synchronisation (row 1 otherwise, row 7). */
        ALL_ONES
    }

    public SyncDecision {
        if (kind == null || syncSrc == null || bitmap == null) {
            throw new NullPointerException("kind, syncSrc and bitmap must be set");
        }
    }

    /** The errmsg of row 2, with both UIDs as unsigned decimals. */
    public static String uidMismatchMessage(long primaryResuid, long secondaryResuid) {
        return "Resource unique ID mismatch (primary=" + Long.toUnsignedString(primaryResuid)
                + ", secondary=" + Long.toUnsignedString(secondaryResuid) + ").";
    }

    /** The table applied to the secondary's stored values and the primary's step-2 message. */
    public static SyncDecision decide(long sResuid, long sLocalCnt, long sRemoteCnt,
            HandshakeSecond primary) {
        return decide(sResuid, sLocalCnt, sRemoteCnt, primary.resuid(), primary.localCnt(),
                primary.remoteCnt(), primary.virgin());
    }

    /**
     * The table of spec §8.
     *
     * @param sResuid    the secondary's stored resource UID (0 = never connected)
     * @param sLocalCnt  the secondary's {@code localcnt}
     * @param sRemoteCnt the secondary's {@code remotecnt}
     * @param pResuid    the primary's {@code resuid}
     * @param pLocalCnt  the primary's {@code localcnt}
     * @param pRemoteCnt the primary's {@code remotecnt}
     * @param pVirgin    whether the primary sent {@code virgin}
     */
    public static SyncDecision decide(long sResuid, long sLocalCnt, long sRemoteCnt,
            long pResuid, long pLocalCnt, long pRemoteCnt, boolean pVirgin) {
        if (sResuid == 0) {
            return new SyncDecision(Kind.ADOPT_UID, 1, SyncSource.PRIMARY,
                    pVirgin ? Bitmap.NONE : Bitmap.ALL_ONES, null, false);
        }
        if (sResuid != pResuid) {
            return new SyncDecision(Kind.UID_MISMATCH, 2, SyncSource.UNDEF, Bitmap.NONE,
                    uidMismatchMessage(pResuid, sResuid), false);
        }
        // sign of (S.local - P.remote) and of (S.remote - P.local)
        int localVsRemote = Long.compareUnsigned(sLocalCnt, pRemoteCnt);
        int remoteVsLocal = Long.compareUnsigned(sRemoteCnt, pLocalCnt);
        if (localVsRemote > 0 && remoteVsLocal == 0) {
            return sync(3, SyncSource.SECONDARY, Bitmap.ON_DISK, false);
        }
        if (localVsRemote == 0 && remoteVsLocal == 0) {
            return sync(4, SyncSource.PRIMARY, Bitmap.ON_DISK, false);
        }
        if (localVsRemote == 0 && remoteVsLocal < 0) {
            return sync(5, SyncSource.PRIMARY, Bitmap.ON_DISK, false);
        }
        if (localVsRemote > 0 && remoteVsLocal < 0) {
            return new SyncDecision(Kind.SPLIT_BRAIN, 6, SyncSource.UNDEF, Bitmap.NONE,
                    HandshakeParams.SPLIT_BRAIN, false);
        }
        return sync(7, localVsRemote > 0 ? SyncSource.SECONDARY : SyncSource.PRIMARY,
                Bitmap.ALL_ONES, true);
    }

    private static SyncDecision sync(int row, SyncSource source, Bitmap bitmap,
            boolean neverHappens) {
        return new SyncDecision(Kind.SYNC, row, source, bitmap, null, neverHappens);
    }

    /** Rows 2 and 6: the reply is a refusal and the worker exits. */
    public boolean isRefusal() {
        return errmsg != null;
    }

    /**
     * The reply the secondary sends for this decision (spec §4.3): the refusal with
     * {@code errmsg}, or the accepted reply with {@code virgin} in row 1, {@code syncsrc}, and
     * {@code mapsize} = {@code mapSizeBytes} unless the bitmap is NONE.
     *
     * @param dataSize     the secondary's data size
     * @param extentSize   the secondary's extent size
     * @param localCnt     the secondary's {@code localcnt}
     * @param remoteCnt    the secondary's {@code remotecnt}
     * @param mapSizeBytes the on-disk bitmap size, {@code localoff - 4096} (decisions A5)
     */
    public HandshakeParams reply(long dataSize, int extentSize, long localCnt, long remoteCnt,
            long mapSizeBytes) {
        if (isRefusal()) {
            return HandshakeParams.refused(dataSize, extentSize, localCnt, remoteCnt, errmsg);
        }
        return HandshakeParams.accepted(dataSize, extentSize, localCnt, remoteCnt,
                kind == Kind.ADOPT_UID, syncSrc, bitmap == Bitmap.NONE ? 0 : mapSizeBytes);
    }
}
