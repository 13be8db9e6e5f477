package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * The handshake's answers: option replies
 * <pre>
 *  magic 0x3e889045565a9 (8) | option (4) | reply type (4) | length (4) | data
 * </pre>
 * and the EXPORT_NAME reply (size, flags, optional 124 zeros). Writes only; the handshake
 * handler flushes.
 */
final class NbdOptionReplies {
    private final NbdExport export;

    NbdOptionReplies(NbdExport export) {
        this.export = export;
    }

    /** An option reply with {@code data} (released here) or none. */
    void reply(ChannelHandlerContext ctx, int option, int type, ByteBuf data) {
        int length = data == null ? 0 : data.readableBytes();
        ByteBuf header = ctx.alloc().buffer(20);
        header.writeLong(OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
        ctx.write(header);
        if (data != null) {
            ctx.write(data);
        }
    }

    /** An error reply, with a human-readable message when given (the spec allows one). */
    void error(ChannelHandlerContext ctx, int option, int type, String message) {
        ByteBuf data = null;
        if (message != null) {
            data = ctx.alloc().buffer();
            data.writeCharSequence(message, StandardCharsets.UTF_8);
        }
        reply(ctx, option, type, data);
    }

    /** LIST: one REP_SERVER, our export (u32 name length, name). */
    void server(ChannelHandlerContext ctx) {
        byte[] name = export.nameBytes();
        ByteBuf data = ctx.alloc().buffer(4 + name.length);
        data.writeInt(name.length).writeBytes(name);
        reply(ctx, OPT_LIST, REP_SERVER, data);
    }

    /** EXPORT_NAME success: size (8), transmission flags (2), 124 zeros unless NO_ZEROES. */
    void exportNameReply(ChannelHandlerContext ctx, boolean noZeroes) {
        ByteBuf out = ctx.alloc().buffer(10 + (noZeroes ? 0 : EXPORT_NAME_ZERO_PAD));
        out.writeLong(export.backend().size()).writeShort(export.transmissionFlags());
        if (!noZeroes) {
            out.writeZero(EXPORT_NAME_ZERO_PAD);
        }
        ctx.write(out);
    }

    /**
     * INFO or GO. Data: u32 name length, name, u16 request count, u16 per request; anything
     * else is ERR_INVALID. Replies INFO_EXPORT, INFO_NAME when asked, INFO_BLOCK_SIZE always
     * (minimum: the backend's sector size, below which requests are refused), then ACK.
     *
     * @return true when the export was described and ACKed (GO may enter transmission)
     */
    boolean infoOrGo(ChannelHandlerContext ctx, int option, ByteBuf data) {
        if (data.readableBytes() < 6) {
            error(ctx, option, REP_ERR_INVALID, "option data too short");
            return false;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > data.readableBytes() - 2) {
            error(ctx, option, REP_ERR_INVALID, "name length beyond the option data");
            return false;
        }
        byte[] name = new byte[(int) nameLength];
        data.readBytes(name);
        int count = data.readUnsignedShort();
        if (data.readableBytes() != 2 * count) {
            error(ctx, option, REP_ERR_INVALID, "information request count does not match the data");
            return false;
        }
        boolean wantName = false;
        for (int i = 0; i < count; i++) {
            // Unknown information types are ignored, as the spec asks.
            wantName |= data.readUnsignedShort() == INFO_NAME;
        }
        if (!export.matches(name)) {
            error(ctx, option, REP_ERR_UNKNOWN, "no such export");
            return false;
        }
        ByteBuf info = ctx.alloc().buffer(12);
        info.writeShort(INFO_EXPORT).writeLong(export.backend().size()).writeShort(export.transmissionFlags());
        reply(ctx, option, REP_INFO, info);
        if (wantName) {
            byte[] ours = export.nameBytes();
            ByteBuf named = ctx.alloc().buffer(2 + ours.length);
            named.writeShort(INFO_NAME).writeBytes(ours);
            reply(ctx, option, REP_INFO, named);
        }
        ByteBuf sizes = ctx.alloc().buffer(14);
        sizes.writeShort(INFO_BLOCK_SIZE).writeInt(Math.max(MIN_BLOCK_SIZE, export.backend().sectorSize()))
                .writeInt(Math.max(PREFERRED_BLOCK_SIZE, export.backend().sectorSize()))
                .writeInt(MAX_PAYLOAD_BYTES);
        reply(ctx, option, REP_INFO, sizes);
        reply(ctx, option, REP_ACK, null);
        return true;
    }
}
