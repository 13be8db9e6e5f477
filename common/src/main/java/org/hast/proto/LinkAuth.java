package org.hast.proto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.nv.NvWriter;

/**
 * The mutual challenge-response that opens a replication connection when {@code secret} is
 * configured (extension, not in FreeBSD's protocol; docs/security.md). Four §4.1 frames, all
 * before the §4.3 header:
 *
 * <pre>
 *   primary → secondary  {authresource, authconn, authnonce P, authkeys}   HELLO
 *   secondary → primary  {authnonce S, authkey, authmac MAC(k, "S", ...)}  CHALLENGE (or {errmsg})
 *   primary → secondary  {authmac MAC(k, "P", ...)}                         PROOF
 *   secondary → primary  {authok}                                           ACCEPT (or {errmsg})
 * </pre>
 *
 * MAC is HMAC-SHA-256 over the label, the prover's role, the connection (1 = the primary's
 * outgoing connection, 2 = its incoming one), the resource name and both nonces, so an answer
 * is valid for one role, one connection, one resource and one pair of fresh nonces: a recorded
 * exchange does not verify against a new nonce, and the secondary's answer cannot be reflected
 * back as the primary's. {@code authkeys} lists the identifiers ({@link #idOf}) of
 * the primary's secrets, so during a rotation the secondary picks one both hold. Field names
 * differ from the plain handshake's ({@code resource}), so a FreeBSD hastd refuses HELLO
 * instead of acting on it.
 */
public final class LinkAuth {
    /** Bytes of a secret's identifier: the start of its SHA-256, so peers find a common one. */
    public static final int ID_BYTES = 8;

    /** {@link #ID_BYTES} of SHA-256 over {@code secret}: names it on the wire without revealing it. */
    public static byte[] idOf(byte[] secret) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(secret), ID_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static final int NONCE_BYTES = 32;
    public static final int MAC_BYTES = 32;
    public static final int CONN_OUT = 1;
    public static final int CONN_IN = 2;
    public static final String FIELD_RESOURCE = "authresource";
    public static final String FIELD_CONN = "authconn";
    public static final String FIELD_NONCE = "authnonce";
    public static final String FIELD_KEYS = "authkeys";
    public static final String FIELD_KEY = "authkey";
    public static final String FIELD_MAC = "authmac";
    public static final String FIELD_OK = "authok";
    /** The frame version byte of every authentication message (no resource context yet). */
    public static final int FRAME_VERSION = 2;
    private static final byte[] LABEL = "hast link auth v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The prover: the secondary answers the challenge first, the primary second. */
    public enum Prover {
        SECONDARY('S'), PRIMARY('P');

        final byte code;

        Prover(char code) {
            this.code = (byte) code;
        }
    }

    private LinkAuth() {
    }

    public static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** Whether {@code nv} opens the authentication (rather than a plain §4.3 header). */
    public static boolean isHello(NvMessage nv) {
        return nv.has(FIELD_RESOURCE);
    }

    public static NvWriter hello(String resource, int conn, byte[] nonce, List<byte[]> secrets) {
        ByteBuffer ids = ByteBuffer.allocate(secrets.size() * ID_BYTES);
        for (byte[] secret : secrets) {
            ids.put(idOf(secret));
        }
        return new NvWriter().addString(FIELD_RESOURCE, resource).addUint8(FIELD_CONN, conn)
                .addUint8Array(FIELD_NONCE, nonce).addUint8Array(FIELD_KEYS, ids.array());
    }

    public static NvWriter challenge(byte[] nonce, byte[] keyId, byte[] mac) {
        return new NvWriter().addUint8Array(FIELD_NONCE, nonce).addUint8Array(FIELD_KEY, keyId)
                .addUint8Array(FIELD_MAC, mac);
    }

    public static NvWriter proof(byte[] mac) {
        return new NvWriter().addUint8Array(FIELD_MAC, mac);
    }

    public static NvWriter accept() {
        return new NvWriter().addUint8(FIELD_OK, 1);
    }

    /**
     * A {@code uint8[]} field of exactly {@code length} bytes.
     *
     * @throws ProtocolException when it is missing, of another type or length
     */
    public static byte[] bytes(NvMessage nv, String field, int length) throws ProtocolException {
        if (nv.typeOf(field) != NvType.UINT8_ARRAY) {
            throw new ProtocolException("Authentication message without '" + field + "'.");
        }
        ByteBuffer value = nv.getUint8Array(field);
        if (value.remaining() != length) {
            throw new ProtocolException("Authentication field '" + field + "' has " + value.remaining()
                    + " bytes, not " + length + ".");
        }
        byte[] copy = new byte[length];
        value.duplicate().get(copy);
        return copy;
    }

    /** The secret of {@code secrets} whose identifier is {@code id}, or null. */
    public static byte[] secretWithId(List<byte[]> secrets, byte[] id) {
        for (byte[] secret : secrets) {
            if (MessageDigest.isEqual(idOf(secret), id)) {
                return secret;
            }
        }
        return null;
    }

    /**
     * The first of {@code ours} whose identifier is among {@code offered} (the concatenated
     * identifiers of a HELLO), or null when the nodes share no secret.
     */
    public static byte[] commonSecret(List<byte[]> ours, ByteBuffer offered) {
        for (byte[] secret : ours) {
            byte[] id = idOf(secret);
            for (int at = offered.position(); at + ID_BYTES <= offered.limit(); at += ID_BYTES) {
                if (MessageDigest.isEqual(id, slice(offered, at))) {
                    return secret;
                }
            }
        }
        return null;
    }

    private static byte[] slice(ByteBuffer buffer, int at) {
        byte[] bytes = new byte[ID_BYTES];
        buffer.duplicate().position(at).get(bytes);
        return bytes;
    }

    public static byte[] mac(byte[] secret, Prover prover, int conn, String resource, byte[] primaryNonce,
            byte[] secondaryNonce) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            hmac.update(LABEL);
            hmac.update(prover.code);
            hmac.update((byte) conn);
            byte[] name = resource.getBytes(StandardCharsets.UTF_8);
            hmac.update((byte) (name.length >>> 8));
            hmac.update((byte) name.length);
            hmac.update(name);
            hmac.update(primaryNonce);
            hmac.update(secondaryNonce);
            return hmac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is unavailable", e);
        }
    }

    /** Constant-time comparison of a received MAC with the expected one. */
    public static boolean verify(byte[] expected, byte[] received) {
        return MessageDigest.isEqual(expected, received);
    }
}
