package org.hast.proto;

import java.util.Objects;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * The secondary parent's refusal of a handshake connection (spec §3.5 step 4):
 * {@code {errmsg: string [, wait: uint8 1]}}, sent with header version 2, then the connection
 * is closed. The primary logs {@code errmsg} as a warning; with {@code wait} (the peer is
 * primary too, perhaps about to switch) it keeps retrying within its timeout (EBUSY), without
 * it it gives up this attempt (ECONNABORTED).
 *
 * @param errmsg     the reason, one line
 * @param shouldWait whether the {@code wait} field is present (the record component cannot
 *                   be called {@code wait}: that would hide {@link Object#wait()})
 */
public record HandshakeError(String errmsg, boolean shouldWait) implements HandshakeFirstReply {
    public static final String FIELD_ERRMSG = "errmsg";
    public static final String FIELD_WAIT = "wait";

    public HandshakeError {
        Objects.requireNonNull(errmsg, "errmsg");
    }

    /** Whether the message is an error reply: it has an {@code errmsg} string. */
    public static boolean isError(NvMessage nv) {
        return nv.getString(FIELD_ERRMSG) != null;
    }

    /** {@code errmsg}, then {@code wait} = 1 when set. */
    @Override
    public NvWriter toNv() {
        NvWriter nv = new NvWriter(64 + errmsg.length()).addString(FIELD_ERRMSG, errmsg);
        if (shouldWait) {
            nv.addUint8(FIELD_WAIT, 1);
        }
        return nv;
    }

    /**
     * Reads an error reply. {@code wait} counts when a field of that name exists, whatever its
     * type or value ({@code nv_exists}).
     *
     * @throws ProtocolException when there is no {@code errmsg} string
     */
    public static HandshakeError fromNv(NvMessage nv) throws ProtocolException {
        String errmsg = nv.getString(FIELD_ERRMSG);
        if (errmsg == null) {
            throw new ProtocolException("Error reply has no 'errmsg' field.");
        }
        return new HandshakeError(errmsg, nv.has(FIELD_WAIT));
    }
}
