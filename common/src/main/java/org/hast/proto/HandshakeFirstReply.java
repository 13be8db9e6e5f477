package org.hast.proto;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * The secondary's answer to handshake step 1 (spec §4.3), read by the primary on its
 * <b>out</b> connection: either the negotiated version and the token, or an error.
 */
public sealed interface HandshakeFirstReply permits HandshakeTokenReply, HandshakeError {

    NvWriter toNv();

    /**
     * Reads the reply as the primary does: a string {@code errmsg} makes it a
     * {@link HandshakeError} (checked first), anything else must be a valid
     * {@link HandshakeTokenReply}.
     *
     * @throws ProtocolException as {@link HandshakeTokenReply#fromNv} does
     */
    static HandshakeFirstReply fromNv(NvMessage nv) throws ProtocolException {
        if (HandshakeError.isError(nv)) {
            return HandshakeError.fromNv(nv);
        }
        return HandshakeTokenReply.fromNv(nv);
    }
}
