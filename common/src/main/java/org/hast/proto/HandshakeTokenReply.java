package org.hast.proto;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * The secondary's acceptance of handshake step 1 (spec §3.5 step 5, §4.3):
 * {@code {version: uint8, token: uint8[16]}}, in that order, sent with the negotiated version
 * in the frame header. The token binds the primary's second connection to this one.
 *
 * @param version the negotiated protocol version, 1..{@link FrameHeader#MAX_VERSION}
 * @param token   the {@value #TOKEN_SIZE} random bytes (copied in and out)
 */
public record HandshakeTokenReply(int version, byte[] token) implements HandshakeFirstReply {
    /** {@code HAST_TOKEN_SIZE}. */
    public static final int TOKEN_SIZE = 16;
    public static final String FIELD_VERSION = "version";
    public static final String FIELD_TOKEN = "token";

    public HandshakeTokenReply {
        if (version < 1 || version > FrameHeader.MAX_VERSION) {
            throw new IllegalArgumentException("negotiated version " + version + " is not 1.."
                    + FrameHeader.MAX_VERSION);
        }
        token = checkToken(token);
    }

    /** A defensive copy of a {@value #TOKEN_SIZE}-byte token. */
    static byte[] checkToken(byte[] token) {
        Objects.requireNonNull(token, "token");
        if (token.length != TOKEN_SIZE) {
            throw new IllegalArgumentException("token of " + token.length + " bytes, expected "
                    + TOKEN_SIZE);
        }
        return token.clone();
    }

    @Override
    public byte[] token() {
        return token.clone();
    }

    /** Constant-time comparison with a received token (the parent's "Token doesn't match."). */
    public boolean tokenEquals(byte[] other) {
        return other != null && java.security.MessageDigest.isEqual(token, other);
    }

    /** {@code version}, {@code token}. */
    @Override
    public NvWriter toNv() {
        return new NvWriter(64)
                .addUint8(FIELD_VERSION, version)
                .addUint8Array(FIELD_TOKEN, token);
    }

    /**
     * The version rule alone: missing, 0 or of another type means 1; above
     * {@link FrameHeader#MAX_VERSION} is refused. The reference stores the version before it
     * checks the token, so a caller that mirrors that calls this first.
     *
     * @throws ProtocolException "Invalid version received (N)."
     */
    public static int negotiatedVersion(NvMessage nv) throws ProtocolException {
        int version = nv.getUint8(FIELD_VERSION);
        if (version == 0) {
            return 1;
        }
        if (version > FrameHeader.MAX_VERSION) {
            throw new ProtocolException("Invalid version received (" + version + ").");
        }
        return version;
    }

    /**
     * Reads the reply as the primary does: the version rule of {@link #negotiatedVersion},
     * then {@code token} must be a uint8 array of exactly {@value #TOKEN_SIZE} bytes. An
     * {@code errmsg} is not looked at here; see {@link HandshakeFirstReply#fromNv}.
     *
     * @throws ProtocolException for a bad version or a missing or wrong-sized token
     */
    public static HandshakeTokenReply fromNv(NvMessage nv) throws ProtocolException {
        int version = negotiatedVersion(nv);
        return new HandshakeTokenReply(version, readToken(nv));
    }

    /** The {@code token} field checked as both handshake readers check it. */
    static byte[] readToken(NvMessage nv) throws ProtocolException {
        ByteBuffer token = nv.getUint8Array(FIELD_TOKEN);
        if (token == null) {
            throw new ProtocolException("Handshake header has no 'token' field.");
        }
        if (token.remaining() != TOKEN_SIZE) {
            throw new ProtocolException("Handshake header contains 'token' of wrong size (got "
                    + token.remaining() + ", expected " + TOKEN_SIZE + ").");
        }
        byte[] out = new byte[TOKEN_SIZE];
        token.duplicate().get(out);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeTokenReply other && other.version == version
                && Arrays.equals(other.token, token);
    }

    @Override
    public int hashCode() {
        return 31 * version + Arrays.hashCode(token);
    }

    @Override
    public String toString() {
        return "HandshakeTokenReply[version=" + version + ", token="
                + HexFormat.of().formatHex(token) + "]";
    }
}
