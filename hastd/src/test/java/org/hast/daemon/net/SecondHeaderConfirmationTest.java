package org.hast.daemon.net;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Capabilities;
import org.hast.proto.HandshakeSecond;
import org.junit.jupiter.api.Test;

/**
 * The secondary's worker compares the primary's second header, repeated inside TLS, with what
 * its main process relayed from the clear one: any field that decides the synchronisation or
 * the extensions in use, changed on the way, refuses the primary. Here the clear header is
 * "tampered" by giving the comparison other relayed values than the primary confirmed.
 */
class SecondHeaderConfirmationTest {
    private static final int VERSION = 2;
    private static final HandshakeSecond HELLO = new HandshakeSecond("shared", new byte[16], false, 0x1234L, 7, 3);

    /** The confirmation as the secondary's worker decodes it off the wire. */
    private static NvMessage confirmed(int capabilities) throws NvFormatException {
        NvWriter nv = SecondHeaderConfirmation.of(HELLO, VERSION, capabilities);
        return NvMessage.decode(ByteBuffer.wrap(nv.toByteArray()));
    }

    private static String mismatch(NvMessage confirmation, long localCnt, int relayedCapabilities) {
        return SecondHeaderConfirmation.mismatch(confirmation, "shared", VERSION, 0x1234L, localCnt, 3, false,
                relayedCapabilities);
    }

    @Test
    void anUnchangedHeaderIsConfirmed() throws Exception {
        assertNull(mismatch(confirmed(Capabilities.HASHES), 7, Capabilities.HASHES));
        assertNull(mismatch(confirmed(0), 7, 0));
    }

    @Test
    void changedCountersAreRefused() throws Exception {
        assertNotNull(mismatch(confirmed(0), 8, 0));
    }

    @Test
    void hastcapsStrippedFromTheClearHeaderIsRefused() throws Exception {
        String why = mismatch(confirmed(Capabilities.HASHES), 7, 0);
        assertNotNull(why, "the primary offered hashes inside TLS, the clear header arrived without them");
        assertTrue(why.contains("hastcaps"), why);
    }

    @Test
    void hastcapsAddedToTheClearHeaderIsRefused() throws Exception {
        assertNotNull(mismatch(confirmed(0), 7, Capabilities.HASHES),
                "the primary offered nothing inside TLS, the clear header arrived offering hashes");
    }
}
