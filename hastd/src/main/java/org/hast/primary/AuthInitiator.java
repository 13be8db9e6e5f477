package org.hast.primary;

import java.io.IOException;

import org.hast.conf.SecretFile;
import org.hast.link.HastFrame;
import org.hast.link.OutgoingFrame;
import org.hast.nv.NvMessage;
import org.hast.proto.HandshakeError;
import org.hast.proto.LinkAuth;
import org.hast.proto.ProtocolException;

import io.netty.channel.Channel;

/**
 * The primary's side of {@link LinkAuth} on a fresh connection, before the §4.3 header: the
 * secondary proves it knows a secret first, then the primary. Any failure is an
 * {@link IOException} with a one-line reason, which {@link RemoteLink} logs and retries like a
 * failed connect.
 */
final class AuthInitiator {
    private AuthInitiator() {
    }

    static void authenticate(Channel channel, FrameInbox inbox, String resource, String secretPath, int conn,
            int timeoutSeconds) throws IOException, ProtocolException {
        SecretFile secrets = SecretFile.read(secretPath);
        byte[] primaryNonce = LinkAuth.nonce();
        channel.writeAndFlush(new OutgoingFrame(LinkAuth.FRAME_VERSION,
                LinkAuth.hello(resource, conn, primaryNonce, secrets.secrets()))).syncUninterruptibly();
        byte[] secret;
        byte[] secondaryNonce;
        HastFrame challenge = take(inbox, timeoutSeconds);
        try {
            NvMessage nv = challenge.nv();
            refused(nv);
            secondaryNonce = LinkAuth.bytes(nv, LinkAuth.FIELD_NONCE, LinkAuth.NONCE_BYTES);
            secret = LinkAuth.secretWithId(secrets.secrets(),
                    LinkAuth.bytes(nv, LinkAuth.FIELD_KEY, LinkAuth.ID_BYTES));
            byte[] expected = secret == null ? null
                    : LinkAuth.mac(secret, LinkAuth.Prover.SECONDARY, conn, resource, primaryNonce, secondaryNonce);
            if (expected == null || !LinkAuth.verify(expected, LinkAuth.bytes(nv, LinkAuth.FIELD_MAC, LinkAuth.MAC_BYTES))) {
                throw new IOException("Authentication failed: the peer does not know the secret.");
            }
        } finally {
            challenge.release();
        }
        channel.writeAndFlush(new OutgoingFrame(LinkAuth.FRAME_VERSION, LinkAuth.proof(
                LinkAuth.mac(secret, LinkAuth.Prover.PRIMARY, conn, resource, primaryNonce, secondaryNonce))))
                .syncUninterruptibly();
        HastFrame verdict = take(inbox, timeoutSeconds);
        try {
            refused(verdict.nv());
            if (!verdict.nv().has(LinkAuth.FIELD_OK)) {
                throw new IOException("Authentication failed: unexpected answer from the peer.");
            }
        } finally {
            verdict.release();
        }
    }

    /** The secondary's {@code errmsg}, as the reason of the failure. */
    private static void refused(NvMessage nv) throws IOException, ProtocolException {
        if (HandshakeError.isError(nv)) {
            throw new IOException(HandshakeError.fromNv(nv).errmsg());
        }
    }

    /**
     * A plain peer (FreeBSD's hastd, or ours without {@code secret}) does not know the HELLO's
     * fields and closes the connection: say so rather than "Connection closed".
     */
    private static HastFrame take(FrameInbox inbox, int timeoutSeconds) throws IOException {
        try {
            return inbox.take(timeoutSeconds);
        } catch (IOException e) {
            throw new IOException("Authentication failed: " + e.getMessage()
                    + " (does the peer have a secret configured? a FreeBSD hastd has none).", e);
        }
    }
}
