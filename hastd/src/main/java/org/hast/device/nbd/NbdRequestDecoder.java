package org.hast.device.nbd;

import static org.hast.device.nbd.NbdProtocol.*;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Frames transmission requests:
 * <pre>
 *  0      4        6       8          16          24        28
 *  +------+--------+-------+----------+-----------+---------+---------------------+
 *  |magic | flags  | type  | cookie   | offset    | length  | payload (WRITE only)|
 *  +------+--------+-------+----------+-----------+---------+---------------------+
 * </pre>
 * A WRITE waits until its whole payload is here and carries it as a retained slice of the
 * cumulation. Two things cannot be answered with an errno because the stream can no longer
 * be trusted: a bad magic, and a WRITE longer than {@link NbdProtocol#MAX_PAYLOAD_BYTES}
 * (we would have to buffer or skip it); both close the connection. After a DISC (the client
 * must not send more) or such an error, input is dropped.
 */
public final class NbdRequestDecoder extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(NbdRequestDecoder.class);

    private boolean discarding;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (discarding) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < REQUEST_HEADER_BYTES) {
            return;
        }
        int start = in.readerIndex();
        int magic = in.getInt(start);
        if (magic != REQUEST_MAGIC) {
            fail(ctx, in, "bad request magic 0x" + Integer.toHexString(magic));
            return;
        }
        int type = in.getUnsignedShort(start + 6);
        long length = in.getUnsignedInt(start + 24);
        int payload = 0;
        if (type == CMD_WRITE) {
            if (length > MAX_PAYLOAD_BYTES) {
                fail(ctx, in, "WRITE of " + length + " bytes (at most " + MAX_PAYLOAD_BYTES + ")");
                return;
            }
            payload = (int) length;
            if (in.readableBytes() < REQUEST_HEADER_BYTES + payload) {
                return;
            }
        }
        in.skipBytes(4);
        int flags = in.readUnsignedShort();
        in.skipBytes(2);
        long cookie = in.readLong();
        long offset = in.readLong();
        in.skipBytes(4);
        out.add(new NbdRequest(flags, type, cookie, offset, length,
                type == CMD_WRITE ? in.readRetainedSlice(payload) : null));
        if (type == CMD_DISC) {
            discarding = true;
        }
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
        LOG.warn("NBD client {}: {}; closing the connection.", NbdTransmission.peer(ctx.channel()), why);
        discarding = true;
        in.skipBytes(in.readableBytes());
        ctx.close();
    }
}
