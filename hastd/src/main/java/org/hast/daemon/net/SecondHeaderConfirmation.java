package org.hast.daemon.net;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Capabilities;
import org.hast.proto.HandshakeSecond;

/**
 * With TLS, the primary's second §4.3 header travels in clear (the secondary's main process
 * routes the connection with it) and is then repeated inside TLS on the same connection: the
 * secondary's worker starts only if both agree, so the counters that decide the sync direction
 * cannot be changed on the way, nor can the {@code hastcaps} offer (stripping it would turn
 * off checksum synchronisation and online verify unseen). The token is left out: it was only
 * good for the hand-over.
 */
public final class SecondHeaderConfirmation {
    private static final String FIELD_VERSION = "version";

    private SecondHeaderConfirmation() {
    }

    public static NvWriter of(HandshakeSecond hello, int version, int capabilities) {
        NvWriter nv = new NvWriter().addString(HandshakeSecond.FIELD_RESOURCE, hello.resource())
                .addUint8(FIELD_VERSION, version);
        if (hello.virgin()) {
            nv.addInt8(HandshakeSecond.FIELD_VIRGIN, 1);
        }
        nv.addUint64(HandshakeSecond.FIELD_RESUID, hello.resuid())
                .addUint64(HandshakeSecond.FIELD_LOCALCNT, hello.localCnt())
                .addUint64(HandshakeSecond.FIELD_REMOTECNT, hello.remoteCnt());
        return Capabilities.offer(nv, capabilities);
    }

    /**
     * Whether {@code confirmation} repeats what the main process relayed, {@code capabilities}
     * included (the clear header's {@code hastcaps}, 0 when absent).
     *
     * @return null when it does, else what differs
     */
    public static String mismatch(NvMessage confirmation, String resource, int version, long resuid, long localCnt,
            long remoteCnt, boolean virgin, int capabilities) {
        if (!resource.equals(confirmation.getString(HandshakeSecond.FIELD_RESOURCE))
                || !confirmation.has(FIELD_VERSION) || confirmation.getUint8(FIELD_VERSION) != version
                || !confirmation.has(HandshakeSecond.FIELD_RESUID)
                || confirmation.getUint64(HandshakeSecond.FIELD_RESUID) != resuid
                || !confirmation.has(HandshakeSecond.FIELD_LOCALCNT)
                || confirmation.getUint64(HandshakeSecond.FIELD_LOCALCNT) != localCnt
                || !confirmation.has(HandshakeSecond.FIELD_REMOTECNT)
                || confirmation.getUint64(HandshakeSecond.FIELD_REMOTECNT) != remoteCnt
                || confirmation.has(HandshakeSecond.FIELD_VIRGIN) != virgin) {
            return "the header repeated inside TLS differs from the one received in clear ("
                    + confirmation + ")";
        }
        int confirmed = Capabilities.read(confirmation);
        if (confirmed != capabilities) {
            return "the capabilities repeated inside TLS (" + Capabilities.FIELD + " " + confirmed
                    + ") differ from the ones received in clear (" + capabilities + ")";
        }
        return null;
    }
}
