package org.hast.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;

import org.hast.conf.SecretFile;
import org.hast.daemon.net.Addresses;
import org.hast.daemon.net.AuthResponder;
import org.hast.daemon.net.LinkTls;
import org.hast.daemon.net.HandshakeListener;
import org.hast.link.OutgoingFrame;
import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.proto.HandshakeError;
import org.hast.proto.HandshakeTokenReply;
import org.hast.proto.LinkAuth;
import org.hast.proto.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.SocketChannel;

/**
 * The secondary side of spec §3.5, in the main process: checks a primary's connection against the
 * resource table, answers the first connection of a pair with a token, and hands the completed
 * pair to a new secondary worker. Runs on the {@link MainLoop}; Netty threads only post here.
 */
final class IncomingConnections implements HandshakeListener {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingConnections.class);
    private static final int ERROR_FRAME_VERSION = 2;

    private final MainLoop loop;
    private final Resources resources;
    private final SecureRandom random = new SecureRandom();

    IncomingConnections(MainLoop loop, Resources resources) {
        this.loop = loop;
        this.resources = resources;
    }

    @Override
    public boolean isKnownPeer(InetSocketAddress peer) {
        for (ResourceSlot slot : resources.slots()) {
            if (Addresses.matches(slot.config.remoteAddress(), peer)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onHeader(SocketChannel channel, InetSocketAddress peer, int frameVersion, NvMessage header) {
        loop.execute(() -> handle(channel, peer, header));
    }

    private void handle(SocketChannel channel, InetSocketAddress peer, NvMessage header) {
        String from = Addresses.format(peer);
        String name = header.getString("resource");
        if (name == null) {
            LOG.warn("Unable to obtain name of resource from {}.", from);
            channel.close();
            return;
        }
        int version = header.has("version") ? header.getUint8("version") : 1;
        byte[] token = null;
        if (header.has("token")) {
            ByteBuffer bytes = header.typeOf("token") == NvType.UINT8_ARRAY ? header.getUint8Array("token") : null;
            if (bytes == null || bytes.remaining() != HandshakeTokenReply.TOKEN_SIZE) {
                LOG.warn("Received token of invalid size from {}.", from);
                channel.close();
                return;
            }
            token = new byte[HandshakeTokenReply.TOKEN_SIZE];
            bytes.duplicate().get(token);
        }
        ResourceSlot slot = resources.find(name).orElse(null);
        if (slot == null) {
            refuse(channel, from, name, "Resource not configured.", false);
            return;
        }
        if (!Addresses.matches(slot.config.remoteAddress(), peer)) {
            refuse(channel, from, name, "No access to the resource.", false);
            return;
        }
        String authRefusal = checkAuthenticated(slot, channel, token != null);
        if (authRefusal != null) {
            refuse(channel, from, name, authRefusal, false);
            return;
        }
        boolean tls = slot.config.linkSecurity().hasTls();
        if (token == null && tls != header.has(LinkTls.FIELD_TLS)) {
            refuse(channel, from, name, tls
                    ? "TLS required: the resource has tlscert, tlskey and tlsca and the peer speaks the plain"
                            + " protocol (a FreeBSD hastd, or no tls configured there)."
                    : "TLS offered but not configured for the resource on this node.", false);
            return;
        }
        if (slot.role != Role.SECONDARY) {
            refuse(channel, from, name, "Remote node acts as " + slot.role.displayName()
                    + " for the resource and not as secondary.", slot.role == Role.PRIMARY);
            return;
        }
        if (token != null) {
            SocketChannel first = slot.pendingIn;
            // The reference starts a worker even without a stored first connection; we do not.
            if (first == null || !MessageDigest.isEqual(token, slot.token)) {
                refuse(channel, from, name, "Token doesn't match.", false);
                return;
            }
            slot.pendingIn = null;
            slot.token = null;
            LOG.debug("{}Incoming connection from {} completes the pair.", slot.tag(), from);
            resources.startSecondary(slot, first, channel, header);
            return;
        }
        if (slot.worker != null) {
            LOG.info("{}Worker process exists (pid={}), stopping it.", slot.tag(), slot.worker.pid());
            resources.stopWorker(slot);
        } else if (slot.pendingIn != null) {
            LOG.info("{}Old incoming connection from {} dropped.", slot.tag(), slot.pendingIn.remoteAddress());
            slot.pendingIn.close();
        }
        int negotiated = Math.max(1, Math.min(version, 2));
        byte[] fresh = new byte[HandshakeTokenReply.TOKEN_SIZE];
        random.nextBytes(fresh);
        slot.pendingIn = channel;
        slot.token = fresh;
        slot.protocolVersion = negotiated;
        channel.closeFuture().addListener(closed -> loop.execute(() -> {
            if (slot.pendingIn == channel) {
                slot.pendingIn = null;
                slot.token = null;
            }
        }));
        LOG.debug("{}Negotiated protocol version {} with {}.", slot.tag(), negotiated, from);
        channel.writeAndFlush(new OutgoingFrame(negotiated, new HandshakeTokenReply(negotiated, fresh).toNv()))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /**
     * With {@code secret} configured, the connection must have authenticated for this resource
     * and as the connection the header says it is (first or second of the pair); never a
     * downgrade to the plain handshake. Null when it may proceed.
     */
    private static String checkAuthenticated(ResourceSlot slot, SocketChannel channel, boolean second) {
        AuthResponder.Authenticated proved = AuthResponder.authenticated(channel);
        if (!slot.config.linkSecurity().hasSecret()) {
            return null;
        }
        if (proved == null) {
            return "Authentication required: the resource has a secret and the peer sent a plain handshake"
                    + " (a FreeBSD hastd, or no secret configured there).";
        }
        int expected = second ? LinkAuth.CONN_IN : LinkAuth.CONN_OUT;
        if (!proved.resource().equals(slot.name()) || proved.conn() != expected) {
            return "Authentication does not cover this connection.";
        }
        return null;
    }

    @Override
    public void secretFor(String resource, InetSocketAddress peer, SecretAnswer answer) {
        loop.execute(() -> {
            ResourceSlot slot = resources.find(resource).orElse(null);
            if (slot == null || !slot.config.linkSecurity().hasSecret()) {
                answer.answer(null, null);
            } else if (!Addresses.matches(slot.config.remoteAddress(), peer)) {
                answer.answer(null, "No access to the resource.");
            } else {
                try {
                    answer.answer(SecretFile.read(slot.config.linkSecurity().secret()), null);
                } catch (IOException e) {
                    LOG.error("{}{}", slot.tag(), e.getMessage());
                    answer.answer(null, "Remote node is unable to read its secret.");
                }
            }
        });
    }

    private static void refuse(SocketChannel channel, String from, String resource, String message, boolean wait) {
        LOG.warn("[{}] {} (connection from {})", resource, message, from);
        channel.writeAndFlush(new OutgoingFrame(ERROR_FRAME_VERSION, new HandshakeError(message, wait).toNv()))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
