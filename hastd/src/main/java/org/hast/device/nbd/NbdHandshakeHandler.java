package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.hast.daemon.process.LoopErrors;

/**
 * The fixed-newstyle handshake (doc/proto.md "Fixed newstyle negotiation"): sends the greeting,
 * reads the client flags, answers options until GO or EXPORT_NAME, then puts the transmission
 * handlers after itself and leaves the pipeline; bytes the client already sent behind its GO
 * are handed on by {@link ByteToMessageDecoder}'s removal.
 *
 * <p>Option data is bounded by {@link NbdProtocol#MAX_OPTION_BYTES}: a longer option is skipped
 * as it arrives (nothing buffered) and answered with ERR_TOO_BIG, except EXPORT_NAME, which
 * has no error path and closes. The whole handshake must finish within
 * {@link #HANDSHAKE_TIMEOUT_SECONDS}, so an idle or looping client cannot hold a connection slot.
 *
 * <p>With TLS configured the server behaves as {@code nbdkit --tls=require}: before STARTTLS
 * every option but STARTTLS and ABORT gets ERR_TLS_REQD (EXPORT_NAME, which cannot be
 * refused, closes); STARTTLS is acknowledged in clear, then a {@link SslHandler} goes in front
 * of this handler and the negotiation goes on encrypted. The TLS handshake needs a client
 * certificate from the configured CA; a client without one is disconnected.
 */
public final class NbdHandshakeHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(NbdHandshakeHandler.class);
    public static final int HANDSHAKE_TIMEOUT_SECONDS = 30;

    /** DONE: closing, input dropped; TRANSMISSION: left for the transmission handlers. */
    private enum State { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA, OPTION_SKIP, DONE, TRANSMISSION }

    private final NbdExport export;
    private final NbdOptionReplies replies;
    /** Null: no TLS (STARTTLS gets ERR_UNSUP). */
    private final SslContext tls;
    private boolean tlsStarted;
    private State state = State.CLIENT_FLAGS;
    private boolean noZeroes;
    private int optionCode;
    private long optionRemaining;
    private ScheduledFuture<?> deadline;

    public NbdHandshakeHandler(NbdExport export) {
        this(export, null);
    }

    /** With {@code tls} non-null, TLS is required before anything else. */
    public NbdHandshakeHandler(NbdExport export, SslContext tls) {
        this.export = export;
        this.replies = new NbdOptionReplies(export);
        this.tls = tls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ByteBuf greeting = ctx.alloc().buffer(18);
        greeting.writeLong(NBDMAGIC).writeLong(IHAVEOPT).writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        ctx.writeAndFlush(greeting);
        deadline = ctx.executor().schedule(() -> {
            LOG.warn("NBD client {}: no GO within {} s; closing the connection.",
                    NbdTransmission.peer(ctx.channel()), HANDSHAKE_TIMEOUT_SECONDS);
            ctx.close();
        }, HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        super.channelActive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (state != State.DONE && state != State.TRANSMISSION) {
            if (!step(ctx, in)) {
                return;
            }
        }
        if (state == State.DONE) {
            in.skipBytes(in.readableBytes());
        }
    }

    /** One state's worth of input; false when more bytes are needed. */
    private boolean step(ChannelHandlerContext ctx, ByteBuf in) {
        switch (state) {
            case CLIENT_FLAGS: {
                if (in.readableBytes() < 4) {
                    return false;
                }
                int flags = in.readInt();
                if ((flags & ~CLIENT_KNOWN_FLAGS) != 0) {
                    return violation(ctx, "unknown client flags 0x" + Integer.toHexString(flags));
                }
                noZeroes = (flags & CLIENT_NO_ZEROES) != 0;
                state = State.OPTION_HEADER;
                return true;
            }
            case OPTION_HEADER: {
                if (in.readableBytes() < 16) {
                    return false;
                }
                long magic = in.readLong();
                if (magic != IHAVEOPT) {
                    return violation(ctx, "bad option magic 0x" + Long.toHexString(magic));
                }
                optionCode = in.readInt();
                optionRemaining = in.readUnsignedInt();
                if (optionRemaining > MAX_OPTION_BYTES) {
                    if (optionCode == OPT_EXPORT_NAME) {
                        return violation(ctx, "EXPORT_NAME of " + optionRemaining + " bytes");
                    }
                    state = State.OPTION_SKIP;
                } else {
                    state = State.OPTION_DATA;
                }
                return true;
            }
            case OPTION_DATA: {
                if (in.readableBytes() < optionRemaining) {
                    return false;
                }
                state = State.OPTION_HEADER;
                option(ctx, in.readSlice((int) optionRemaining), in);
                return true;
            }
            case OPTION_SKIP: {
                int skip = (int) Math.min(in.readableBytes(), optionRemaining);
                in.skipBytes(skip);
                optionRemaining -= skip;
                if (optionRemaining > 0) {
                    return false;
                }
                state = State.OPTION_HEADER;
                replies.error(ctx, optionCode, REP_ERR_TOO_BIG, "option data longer than " + MAX_OPTION_BYTES);
                ctx.flush();
                return true;
            }
            default:
                throw new IllegalStateException(state.toString());
        }
    }

    private void option(ChannelHandlerContext ctx, ByteBuf data, ByteBuf in) {
        if (tls != null && !tlsStarted && optionCode != OPT_ABORT) {
            beforeTls(ctx, data, in);
            return;
        }
        switch (optionCode) {
            case OPT_EXPORT_NAME: {
                byte[] name = new byte[data.readableBytes()];
                data.readBytes(name);
                if (!export.matches(name)) {
                    // No error path exists for EXPORT_NAME: the spec says to close.
                    violation(ctx, "EXPORT_NAME of unknown export '" + new String(name, StandardCharsets.UTF_8)
                            + "'");
                    return;
                }
                replies.exportNameReply(ctx, noZeroes);
                enterTransmission(ctx);
                return;
            }
            case OPT_ABORT:
                state = State.DONE;
                replies.reply(ctx, optionCode, REP_ACK, null);
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            case OPT_LIST:
                if (data.isReadable()) {
                    replies.error(ctx, optionCode, REP_ERR_INVALID, "LIST takes no data");
                } else {
                    replies.server(ctx);
                    replies.reply(ctx, optionCode, REP_ACK, null);
                }
                ctx.flush();
                return;
            case OPT_INFO:
            case OPT_GO:
                if (replies.infoOrGo(ctx, optionCode, data) && optionCode == OPT_GO) {
                    enterTransmission(ctx);
                } else {
                    ctx.flush();
                }
                return;
            case OPT_STARTTLS:
                if (tls != null) {
                    // The spec: STARTTLS once TLS is up is ERR_INVALID.
                    replies.error(ctx, optionCode, REP_ERR_INVALID, "TLS is already negotiated");
                } else {
                    replies.error(ctx, optionCode, REP_ERR_UNSUP, "TLS is not configured");
                }
                ctx.flush();
                return;
            default:
                // STRUCTURED_REPLY, META_CONTEXT, EXTENDED_HEADERS and unknown codes.
                replies.error(ctx, optionCode, REP_ERR_UNSUP, null);
                ctx.flush();
        }
    }

    /** Any option but ABORT while TLS is required and not yet negotiated. */
    private void beforeTls(ChannelHandlerContext ctx, ByteBuf data, ByteBuf in) {
        if (optionCode == OPT_EXPORT_NAME) {
            violation(ctx, "EXPORT_NAME before STARTTLS, and TLS is required");
            return;
        }
        if (optionCode != OPT_STARTTLS) {
            replies.error(ctx, optionCode, REP_ERR_TLS_REQD, "TLS is required: send NBD_OPT_STARTTLS first");
            ctx.flush();
            return;
        }
        if (data.isReadable()) {
            replies.error(ctx, optionCode, REP_ERR_INVALID, "STARTTLS takes no data");
            ctx.flush();
            return;
        }
        if (in.isReadable()) {
            // The client must wait for our answer before its ClientHello; bytes already here
            // would be read as plain text.
            violation(ctx, "data sent after STARTTLS before its reply");
            return;
        }
        // The ACK leaves in clear: it has passed the pipeline before the SslHandler goes in.
        replies.reply(ctx, optionCode, REP_ACK, null);
        ctx.flush();
        SslHandler ssl = tls.newHandler(ctx.alloc());
        ctx.pipeline().addBefore(ctx.name(), "nbd-tls", ssl);
        tlsStarted = true;
        String peer = NbdTransmission.peer(ctx.channel());
        ssl.handshakeFuture().addListener(done -> {
            if (done.isSuccess()) {
                LOG.debug("NBD client {}: TLS established ({}).", peer, ssl.engine().getSession().getProtocol());
            } else {
                LOG.warn("NBD client {}: TLS handshake failed: {}; closing the connection.", peer,
                        done.cause().getMessage());
                state = State.DONE;
                ctx.close();
            }
        });
    }

    /** A failed TLS handshake (logged by its listener) or a broken connection: close quietly. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (LoopErrors.passedOn(ctx, cause)) {
            return;
        }
        LOG.debug("NBD client {}: {}; closing the connection.", NbdTransmission.peer(ctx.channel()), cause.toString());
        state = State.DONE;
        ctx.close();
    }

    private void enterTransmission(ChannelHandlerContext ctx) {
        state = State.TRANSMISSION;
        ctx.flush();
        LOG.debug("NBD client {} entered transmission on export '{}'.", NbdTransmission.peer(ctx.channel()),
                export.name());
        NbdTransmission.addAfter(ctx.pipeline(), ctx.name(), export);
        ctx.pipeline().remove(this);
    }

    private boolean violation(ChannelHandlerContext ctx, String why) {
        LOG.warn("NBD client {}: {}; closing the connection.", NbdTransmission.peer(ctx.channel()), why);
        state = State.DONE;
        ctx.close();
        return true;
    }
}
