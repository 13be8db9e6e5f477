package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.proto.SyncDecision.Bitmap;
import org.hast.proto.SyncDecision.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The secondary's decision table of spec §8, row by row, and its worked example. */
class SyncDecisionTest {
    /** The resuid of vectors/nv/wire_default, above 2^63. */
    private static final long UID = Long.parseUnsignedLong("16663844298848613665");
    private static final long NO_UID = 0;
    private static final long MAX = -1L; // 2^64 - 1

    /**
     * S = secondary (resuid, local, remote), P = primary (resuid, local, remote, virgin). A
     * resuid of "uid" stands for {@link #UID}; counters are unsigned decimals.
     */
    @ParameterizedTest(name = "row {8}: S={0}/{1}/{2} P={3}/{4}/{5} virgin={6}")
    @CsvSource({
        // S.uid, S.loc, S.rem, P.uid, P.loc, P.rem, P.virgin, kind, row, syncsrc, bitmap, never
        "0,   0, 0, uid, 0, 0, true,  ADOPT_UID,    1, PRIMARY,   NONE,     false",
        "0,   0, 0, uid, 3, 0, false, ADOPT_UID,    1, PRIMARY,   ALL_ONES, false",
        "0,   5, 9, uid, 3, 0, true,  ADOPT_UID,    1, PRIMARY,   NONE,     false",
        "7,   0, 0, uid, 0, 0, false, UID_MISMATCH, 2, UNDEF,     NONE,     false",
        "uid, 2, 1, uid, 1, 0, false, SYNC,         3, SECONDARY, ON_DISK,  false",
        "uid, 0, 0, uid, 0, 0, false, SYNC,         4, PRIMARY,   ON_DISK,  false",
        "uid, 4, 4, uid, 4, 4, true,  SYNC,         4, PRIMARY,   ON_DISK,  false",
        "uid, 0, 0, uid, 1, 0, false, SYNC,         5, PRIMARY,   ON_DISK,  false",
        "uid, 1, 0, uid, 1, 0, false, SPLIT_BRAIN,  6, UNDEF,     NONE,     false",
        "uid, 0, 0, uid, 0, 1, false, SYNC,         7, PRIMARY,   ALL_ONES, true",
        "uid, 0, 2, uid, 1, 0, false, SYNC,         7, PRIMARY,   ALL_ONES, true",
        "uid, 1, 2, uid, 1, 0, false, SYNC,         7, SECONDARY, ALL_ONES, true",
        "uid, 0, 1, uid, 0, 5, false, SYNC,         7, PRIMARY,   ALL_ONES, true",
    })
    void table(String sUid, String sLocal, String sRemote, String pUid, String pLocal,
            String pRemote, boolean pVirgin, Kind kind, int row, SyncSource syncSrc,
            Bitmap bitmap, boolean neverHappens) {
        SyncDecision d = SyncDecision.decide(uid(sUid), Long.parseUnsignedLong(sLocal),
                Long.parseUnsignedLong(sRemote), uid(pUid), Long.parseUnsignedLong(pLocal),
                Long.parseUnsignedLong(pRemote), pVirgin);
        assertEquals(kind, d.kind());
        assertEquals(row, d.row());
        assertEquals(syncSrc, d.syncSrc());
        assertEquals(bitmap, d.bitmap());
        assertEquals(neverHappens, d.neverHappens());
        assertEquals(kind == Kind.UID_MISMATCH || kind == Kind.SPLIT_BRAIN, d.isRefusal());
    }

    private static long uid(String text) {
        return text.equals("uid") ? UID : Long.parseUnsignedLong(text);
    }

    @Test
    void uidMismatchMessageHasBothUidsUnsigned() {
        SyncDecision d = SyncDecision.decide(7, 0, 0, UID, 0, 0, false);
        assertEquals("Resource unique ID mismatch (primary=16663844298848613665, secondary=7).",
                d.errmsg());
    }

    @Test
    void splitBrainMessage() {
        assertEquals("Split-brain condition!",
                SyncDecision.decide(UID, 3, 0, UID, 2, 1, false).errmsg());
    }

    @Test
    void countersCompareUnsigned() {
        // S.local = 2^64-1 is larger than P.remote = 1, not negative
        SyncDecision d = SyncDecision.decide(UID, MAX, 5, UID, 5, 1, false);
        assertEquals(3, d.row());
        assertEquals(SyncSource.SECONDARY, d.syncSrc());
        // S.remote = 1 is smaller than P.local = 2^63
        assertEquals(5, SyncDecision.decide(UID, 0, 1, UID, Long.MIN_VALUE, 0, false).row());
        assertEquals(6, SyncDecision.decide(UID, MAX, 0, UID, MAX, 0, false).row());
        // signed comparison would call S.local = -1 smaller: row 7 instead of 3
        assertEquals(3, SyncDecision.decide(UID, MAX, 0, UID, 0, Long.MAX_VALUE, false).row());
    }

    @Test
    void workedExampleOfSection8() {
        // A primary, B secondary, both 0/0; the link drops and A writes: A = 1/0.
        // Link back: S(B) = 0/0, P(A) = 1/0 -> row 5, B is out of date, sync A -> B.
        SyncDecision back = SyncDecision.decide(UID, 0, 0, UID, 1, 0, false);
        assertEquals(5, back.row());
        assertEquals(SyncSource.PRIMARY, back.syncSrc());
        assertEquals(Bitmap.ON_DISK, back.bitmap());

        // A wrote during the outage (1/0 on disk) and died; B was promoted and wrote: B = 1/0.
        // A returns as secondary: S(A) = 1/0, P(B) = 1/0 -> split-brain.
        SyncDecision split = SyncDecision.decide(UID, 1, 0, UID, 1, 0, false);
        assertEquals(Kind.SPLIT_BRAIN, split.kind());
        assertEquals(6, split.row());

        // Had A not written during the outage, A = 0/0 -> row 5, sync B -> A.
        assertEquals(5, SyncDecision.decide(UID, 0, 0, UID, 1, 0, false).row());
    }

    @Test
    void decideFromTheStepTwoMessage() {
        HandshakeSecond p = new HandshakeSecond("test", new byte[16], true, UID, 0, 0);
        SyncDecision d = SyncDecision.decide(NO_UID, 0, 0, p);
        assertEquals(Kind.ADOPT_UID, d.kind());
        assertEquals(Bitmap.NONE, d.bitmap());
    }

    @Test
    void repliesMatchTheReference() {
        // row 1 with a virgin primary: the reply captured in vectors/nv/wire_default
        HandshakeParams virgin = SyncDecision.decide(0, 0, 0, UID, 0, 0, true)
                .reply(67104256, 2097152, 0, 0, 512);
        assertEquals(HandshakeParams.accepted(67104256, 2097152, 0, 0, true,
                SyncSource.PRIMARY, 0), virgin);
        // row 5 after the outage of vectors/wire/resync: the on-disk map goes along (mapsize 512)
        HandshakeParams resync = SyncDecision.decide(UID, 0, 0, UID, 1, 0, false)
                .reply(67104256, 65536, 0, 0, 512);
        assertEquals(HandshakeParams.accepted(67104256, 65536, 0, 0, false,
                SyncSource.PRIMARY, 512), resync);
        // refusals carry the four values and errmsg
        HandshakeParams split = SyncDecision.decide(UID, 1, 0, UID, 1, 0, false)
                .reply(1, 2, 1, 0, 512);
        assertTrue(split.isSplitBrain());
        assertEquals(0, split.mapSize());
        SyncDecision mismatch = SyncDecision.decide(9, 0, 0, UID, 0, 0, false);
        assertEquals(mismatch.errmsg(), mismatch.reply(1, 2, 0, 0, 512).errmsg());
        assertFalse(mismatch.reply(1, 2, 0, 0, 512).isSplitBrain());
        assertNull(SyncDecision.decide(0, 0, 0, UID, 0, 0, false).errmsg());
    }
}
