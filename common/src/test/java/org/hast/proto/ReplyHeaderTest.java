package org.hast.proto;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

/** Reply headers (spec §4.5). */
class ReplyHeaderTest {
    private static ReplyHeader read(NvWriter w) throws Exception {
        return ReplyHeader.fromNv(NvMessage.decode(w.encode()));
    }

    @Test
    void finalReplyIsSeqAlone() {
        assertArrayEquals(bytes(
                "08 04 08 00 00 00", "73 65 71 00 00 00 00 00",   // uint64 "seq"
                "2a 00 00 00 00 00 00 00"),                        // 42
                ReplyHeader.done(42).toNv().toByteArray());
    }

    @Test
    void memsyncAckAndErrorFollowSeq() throws Exception {
        assertEquals("  seq(uint64): 4\n  received(int8): 1\n",
                NvMessage.decode(ReplyHeader.received(4).toNv().encode()).dump());
        assertEquals("  seq(uint64): 2\n  error(int16): 25\n",
                NvMessage.decode(ReplyHeader.failed(2, 25).toNv().encode()).dump());
        assertEquals("  seq(uint64): 2\n  received(int8): 1\n  error(int16): 5\n",
                NvMessage.decode(new ReplyHeader(2, true, 5).toNv().encode()).dump());
        assertEquals("  seq(uint64): 0\n",
                NvMessage.decode(ReplyHeader.failed(0, 0).toNv().encode()).dump(),
                "an EINVAL reply echoes a missing seq as 0; error 0 is not sent");
    }

    @Test
    void roundTrips() throws Exception {
        for (ReplyHeader r : new ReplyHeader[] {ReplyHeader.done(-1L), ReplyHeader.received(9),
            ReplyHeader.failed(3, 22), new ReplyHeader(3, true, 110)}) {
            assertEquals(r, read(r.toNv()));
        }
    }

    @Test
    void errorTravelsInFreeBsdNumbers() throws Exception {
        assertEquals("  seq(uint64): 7\n  error(int16): 45\n",
                NvMessage.decode(ReplyHeader.failed(7, 95).toNv().encode()).dump(), "EOPNOTSUPP");
        assertEquals("  seq(uint64): 7\n  error(int16): 60\n",
                NvMessage.decode(ReplyHeader.failed(7, 110).toNv().encode()).dump(), "ETIMEDOUT");
        assertEquals(95, read(new NvWriter().addUint64("seq", 1).addInt16("error", 45)).error());
        assertEquals(5, read(new NvWriter().addUint64("seq", 1).addInt16("error", 93)).error(),
                "FreeBSD's ENOTCAPABLE has no Linux counterpart");
        assertEquals(5, ReplyHeader.fromNv(NvMessage.decode(new ReplyHeader(3, false, -5).toNv().encode())).error(),
                "a negative errno has no FreeBSD counterpart");
    }

    @Test
    void seqMissingZeroOrMistypedIsRefused() {
        for (NvWriter w : new NvWriter[] {new NvWriter().addInt16("error", 5),
            new NvWriter().addUint64("seq", 0), new NvWriter().addUint32("seq", 7)}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> read(w));
            assertEquals("Header contains no 'seq' field.", e.getMessage());
        }
    }

    @Test
    void receivedCountsWhateverItsTypeAndErrorOfAnotherTypeIsZero() throws Exception {
        ReplyHeader r = read(new NvWriter().addUint64("seq", 1).addString("received", "x")
                .addInt32("error", 5));
        assertTrue(r.received());
        assertEquals(0, r.error());
        assertFalse(read(new NvWriter().addUint64("seq", 1)).received());
    }

    @Test
    void errorMustFitAnInt16() {
        assertThrows(IllegalArgumentException.class, () -> ReplyHeader.failed(1, 40000));
    }
}
