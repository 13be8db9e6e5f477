package org.hast.proto;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;

/**
 * Handshake step 2 (spec §4.3): the first message on the primary's <b>in</b> connection,
 * {@code {resource, token[16], [virgin: int8 1], resuid, localcnt, remotecnt}} in that
 * order. The secondary's parent checks the token; its worker feeds the rest to
 * {@link SyncDecision}.
 *
 * @param resource  the resource name
 * @param token     the token from {@link HandshakeTokenReply} (copied in and out)
 * @param virgin    whether this handshake just generated the resource UID
 * @param resuid    the resource unique ID, never 0 (raw 64 bits)
 * @param localCnt  the primary's {@code localcnt} (unsigned 64 bits)
 * @param remoteCnt the primary's {@code remotecnt} (unsigned 64 bits)
 */
public record HandshakeSecond(String resource, byte[] token, boolean virgin, long resuid,
        long localCnt, long remoteCnt) {
    public static final String FIELD_RESOURCE = "resource";
    public static final String FIELD_TOKEN = HandshakeTokenReply.FIELD_TOKEN;
    public static final String FIELD_VIRGIN = "virgin";
    public static final String FIELD_RESUID = "resuid";
    public static final String FIELD_LOCALCNT = "localcnt";
    public static final String FIELD_REMOTECNT = "remotecnt";

    public HandshakeSecond {
        Objects.requireNonNull(resource, "resource");
        token = HandshakeTokenReply.checkToken(token);
        if (resuid == 0) {
            throw new IllegalArgumentException("resuid 0 means 'none' and is never sent");
        }
    }

    @Override
    public byte[] token() {
        return token.clone();
    }

    /**
     * Whether a connection's first message is step 2 rather than step 1: it carries a
     * {@code token} uint8 array (of any size; a wrong size is refused by {@link #fromNv}).
     * A {@code token} of another type reads as absent, as in the reference.
     */
    public static boolean carriesToken(NvMessage nv) {
        return nv.getUint8Array(FIELD_TOKEN) != null;
    }

    /** The fields in the reference's order; {@code virgin} only when set. */
    public NvWriter toNv() {
        NvWriter nv = new NvWriter(192)
                .addString(FIELD_RESOURCE, resource)
                .addUint8Array(FIELD_TOKEN, token);
        if (virgin) {
            nv.addInt8(FIELD_VIRGIN, 1);
        }
        return nv.addUint64(FIELD_RESUID, resuid)
                .addUint64(FIELD_LOCALCNT, localCnt)
                .addUint64(FIELD_REMOTECNT, remoteCnt);
    }

    /**
     * Reads step 2. {@code resource} must be a string and {@code token} a 16-byte uint8 array
     * (spec §3.5); {@code virgin} counts when a field of that name exists ({@code nv_exists}).
     * The reference reads the three counters leniently (missing → 0); this reader requires
     * them as uint64, which every sender writes, and refuses {@code resuid} 0, which would make
     * a fresh secondary adopt "no UID" (§8 row 1).
     *
     * @throws ProtocolException for any of these violations
     */
    public static HandshakeSecond fromNv(NvMessage nv) throws ProtocolException {
        String resource = nv.getString(FIELD_RESOURCE);
        if (resource == null) {
            throw new ProtocolException("No 'resource' field in the header.");
        }
        byte[] token = HandshakeTokenReply.readToken(nv);
        boolean virgin = nv.has(FIELD_VIRGIN);
        long resuid = NvFields.requireScalar(nv, NvType.UINT64, FIELD_RESUID);
        long localCnt = NvFields.requireScalar(nv, NvType.UINT64, FIELD_LOCALCNT);
        long remoteCnt = NvFields.requireScalar(nv, NvType.UINT64, FIELD_REMOTECNT);
        if (resuid == 0) {
            throw new ProtocolException("Handshake header carries resource unique ID 0.");
        }
        return new HandshakeSecond(resource, token, virgin, resuid, localCnt, remoteCnt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeSecond other && other.resource.equals(resource)
                && Arrays.equals(other.token, token) && other.virgin == virgin
                && other.resuid == resuid && other.localCnt == localCnt
                && other.remoteCnt == remoteCnt;
    }

    @Override
    public int hashCode() {
        return Objects.hash(resource, Arrays.hashCode(token), virgin, resuid, localCnt,
                remoteCnt);
    }

    @Override
    public String toString() {
        return "HandshakeSecond[resource=" + resource + ", token="
                + HexFormat.of().formatHex(token) + ", virgin=" + virgin + ", resuid="
                + Long.toUnsignedString(resuid) + ", localcnt="
                + Long.toUnsignedString(localCnt) + ", remotecnt="
                + Long.toUnsignedString(remoteCnt) + "]";
    }
}
