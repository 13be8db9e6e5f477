package org.hast.daemon.net;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

import org.hast.conf.SecretFile;
import org.hast.nv.NvMessage;
import org.hast.nv.NvType;
import org.hast.proto.HandshakeError;
import org.hast.proto.LinkAuth;
import org.hast.proto.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import org.hast.link.OutgoingFrame;
import org.hast.link.HastFrame;

/**
 * The secondary's side of {@link LinkAuth}, in the main process, in front of
 * {@link IncomingHandshakeHandler}: the connection is still the main process's and the
 * exchange authenticates the TCP connection itself, so it can happen here, before the
 * connection is handed to a worker (which the second connection of a pair starts: a worker
 * cannot be asked before the first connection is answered). A plain first frame passes
 * through untouched; whether the resource then requires authentication is decided with the
 * header ({@link #authenticated}).
 */
public final class AuthResponder extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AuthResponder.class);
    private static final AttributeKey<Authenticated> AUTHENTICATED = AttributeKey.valueOf("hast.authenticated");

    /** What an authenticated connection proved: the resource and which connection of the pair. */
    public record Authenticated(String resource, int conn) {
    }

    private enum State { FIRST, LOOKING_UP, PROVING, DONE }

    private final HandshakeListener listener;
    private State state = State.FIRST;
    private String resource;
    private int conn;
    private byte[] primaryNonce;
    private byte[] secondaryNonce;
    private byte[] secret;
    /** A proof that arrived while the secret was being looked up (a pipelining or replaying peer). */
    private HastFrame early;

    AuthResponder(HandshakeListener listener) {
        this.listener = listener;
    }

    /** What {@code channel} proved, or null when it did not authenticate. */
    public static Authenticated authenticated(Channel channel) {
        return channel.attr(AUTHENTICATED).get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        HastFrame frame = (HastFrame) message;
        if (state == State.FIRST && !LinkAuth.isHello(frame.nv())) {
            // A plain peer: nothing changes on the wire, the handshake decides.
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(frame);
            return;
        }
        if (state == State.LOOKING_UP && early == null) {
            early = frame;
            return;
        }
        try {
            switch (state) {
                case FIRST -> hello(ctx, frame.nv());
                case PROVING -> proof(ctx, frame.nv());
                default -> refuse(ctx, "Unexpected message during authentication.");
            }
        } catch (ProtocolException e) {
            refuse(ctx, e.getMessage());
        } finally {
            frame.release();
        }
    }

    private void hello(ChannelHandlerContext ctx, NvMessage nv) throws ProtocolException {
        resource = nv.getString(LinkAuth.FIELD_RESOURCE);
        if (resource == null || nv.typeOf(LinkAuth.FIELD_CONN) != NvType.UINT8
                || nv.typeOf(LinkAuth.FIELD_KEYS) != NvType.UINT8_ARRAY) {
            throw new ProtocolException("Malformed authentication request.");
        }
        conn = nv.getUint8(LinkAuth.FIELD_CONN);
        if (conn != LinkAuth.CONN_OUT && conn != LinkAuth.CONN_IN) {
            throw new ProtocolException("Malformed authentication request.");
        }
        primaryNonce = LinkAuth.bytes(nv, LinkAuth.FIELD_NONCE, LinkAuth.NONCE_BYTES);
        ByteBuffer offered = nv.getUint8Array(LinkAuth.FIELD_KEYS);
        ByteBuffer keys = ByteBuffer.allocate(offered.remaining()).put(offered.duplicate()).flip();
        state = State.LOOKING_UP;
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        listener.secretFor(resource, peer, (secrets, refusal) -> ctx.executor().execute(() -> {
            if (refusal != null) {
                refuse(ctx, refusal);
                return;
            }
            if (secrets == null) {
                // No secret here: answer as a plain node does to a header without "resource".
                LOG.warn("[{}] Authentication request from {}, but no secret is configured for the resource.",
                        resource, Addresses.format(peer));
                ctx.close();
                return;
            }
            challenge(ctx, secrets, keys);
        }));
    }

    private void challenge(ChannelHandlerContext ctx, SecretFile secrets, ByteBuffer offered) {
        if (!ctx.channel().isActive()) {
            return;
        }
        secret = LinkAuth.commonSecret(secrets.secrets(), offered);
        if (secret == null) {
            refuse(ctx, "Authentication failed: the nodes share no secret.");
            return;
        }
        secondaryNonce = LinkAuth.nonce();
        byte[] mac = LinkAuth.mac(secret, LinkAuth.Prover.SECONDARY, conn, resource, primaryNonce, secondaryNonce);
        state = State.PROVING;
        ctx.writeAndFlush(new OutgoingFrame(LinkAuth.FRAME_VERSION,
                LinkAuth.challenge(secondaryNonce, LinkAuth.idOf(secret), mac)))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        HastFrame pending = early;
        early = null;
        if (pending != null) {
            channelRead(ctx, pending);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (early != null) {
            early.release();
            early = null;
        }
    }

    private void proof(ChannelHandlerContext ctx, NvMessage nv) throws ProtocolException {
        byte[] received = LinkAuth.bytes(nv, LinkAuth.FIELD_MAC, LinkAuth.MAC_BYTES);
        byte[] expected = LinkAuth.mac(secret, LinkAuth.Prover.PRIMARY, conn, resource, primaryNonce, secondaryNonce);
        if (!LinkAuth.verify(expected, received)) {
            refuse(ctx, "Authentication failed: wrong secret.");
            return;
        }
        state = State.DONE;
        ctx.channel().attr(AUTHENTICATED).set(new Authenticated(resource, conn));
        LOG.debug("[{}] Connection from {} authenticated.", resource, Addresses.format(
                (InetSocketAddress) ctx.channel().remoteAddress()));
        ctx.writeAndFlush(new OutgoingFrame(LinkAuth.FRAME_VERSION, LinkAuth.accept()))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ctx.pipeline().remove(this);
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        state = State.DONE;
        String from = ctx.channel().remoteAddress() instanceof InetSocketAddress peer
                ? Addresses.format(peer) : String.valueOf(ctx.channel().remoteAddress());
        LOG.warn("[{}] {} (connection from {})", resource == null ? "?" : resource, reason, from);
        ctx.writeAndFlush(new OutgoingFrame(LinkAuth.FRAME_VERSION, new HandshakeError(reason, false).toNv()))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
