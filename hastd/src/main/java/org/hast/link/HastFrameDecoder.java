package org.hast.link;

import java.nio.ByteBuffer;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.proto.FrameHeader;
import org.hast.proto.PayloadFields;

/**
 * Splits a replication connection's byte stream into {@link HastFrame}s (spec §4.1):
 * <pre>
 * +---------+-------------+------------------+---------------------------------+
 * | version | nv size     | nv blob          | payload                         |
 * | uint8   | uint32 LE   | (nv size) bytes  | (nv's "size" uint32) bytes, or  |
 * |         |             |                  | nothing when size is 0/missing  |
 * +---------+-------------+------------------+---------------------------------+
 * </pre>
 * The reference has no size limit; this decoder has two. A version above
 * {@link FrameHeader#MAX_VERSION}, an nv size above {@code maxNvSize}, an nv blob that breaks
 * §5.3 or a {@code size} above {@code maxPayloadSize} fires one {@link HastFrameException};
 * from then on every byte is discarded, so the handler can log once and close.
 *
 * <p>Nothing is sized from an untrusted length before the bytes have arrived: the header is
 * judged from its five bytes, the nv is copied out (at most {@code maxNvSize} bytes) only once
 * all of it is buffered, and the payload is a retained slice of the cumulation buffer, which
 * grows only with received bytes. Any fragmentation works, down to one byte per read.
 *
 * <p>The decoder keeps per-connection state: one instance per channel.
 */
public final class HastFrameDecoder extends ByteToMessageDecoder {
    /** Large enough for every message of §4 and the control protocol; 64 KiB. */
    public static final int DEFAULT_MAX_NV_SIZE = 64 * 1024;
    /** MAXPHYS (1 MiB, decisions §1) plus 1 KiB of slack. */
    public static final int DEFAULT_MAX_PAYLOAD_SIZE = 1024 * 1024 + 1024;

    private final int maxNvSize;
    private int maxPayloadSize;

    /** The frame whose header and nv have been read while its payload is still arriving. */
    private int pendingVersion;
    private NvMessage pendingNv;
    private int pendingPayloadSize;
    /** Set on the first error: the stream is out of step, nothing after it is decoded. */
    private boolean failed;

    public HastFrameDecoder() {
        this(DEFAULT_MAX_NV_SIZE, DEFAULT_MAX_PAYLOAD_SIZE);
    }

    /**
     * @param maxNvSize      the largest nv blob accepted, in bytes
     * @param maxPayloadSize the largest payload accepted, in bytes
     */
    public HastFrameDecoder(int maxNvSize, int maxPayloadSize) {
        if (maxNvSize < 0 || maxPayloadSize < 0) {
            throw new IllegalArgumentException("negative cap: nv " + maxNvSize + ", payload "
                    + maxPayloadSize);
        }
        this.maxNvSize = maxNvSize;
        this.maxPayloadSize = maxPayloadSize;
    }

    public int maxNvSize() {
        return maxNvSize;
    }

    public int maxPayloadSize() {
        return maxPayloadSize;
    }

    /**
     * Changes the payload cap for the frames whose nv has not been read yet. The primary
     * raises it to its bitmap size before the secondary's handshake reply (the bitmap can be
     * larger than MAXPHYS: at 4 KiB extents it takes 32 KiB per GiB of data) and lowers it
     * afterwards. Call it from the channel's event loop.
     */
    public void setMaxPayloadSize(int maxPayloadSize) {
        if (maxPayloadSize < 0) {
            throw new IllegalArgumentException("negative payload cap " + maxPayloadSize);
        }
        this.maxPayloadSize = maxPayloadSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (pendingNv == null && !readHeaderAndNv(in, out)) {
            return;
        }
        if (pendingNv != null && in.readableBytes() >= pendingPayloadSize) {
            ByteBuf payload = in.readRetainedSlice(pendingPayloadSize);
            out.add(new HastFrame(pendingVersion, pendingNv, payload));
            pendingNv = null;
        }
    }

    /**
     * Reads header + nv once all of it is buffered. A frame without payload goes straight to
     * {@code out}; one with a payload becomes pending.
     *
     * @return whether header + nv were consumed
     */
    private boolean readHeaderAndNv(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < FrameHeader.HEADER_SIZE) {
            return false;
        }
        int at = in.readerIndex();
        int version = in.getUnsignedByte(at);
        long nvSize = in.getUnsignedIntLE(at + 1);
        if (version > FrameHeader.MAX_VERSION) {
            throw fail(in, new HastFrameException(HastFrameException.Kind.VERSION,
                    "Unsupported protocol version " + version + " (this side speaks up to "
                    + FrameHeader.MAX_VERSION + ")."));
        }
        if (nvSize > maxNvSize) {
            throw fail(in, new HastFrameException(HastFrameException.Kind.NV_TOO_LARGE,
                    "Header announces " + nvSize + " bytes of nv, the limit is " + maxNvSize
                    + "."));
        }
        if (in.readableBytes() - FrameHeader.HEADER_SIZE < nvSize) {
            return false;
        }
        // a copy: the nv outlives this read, the cumulation buffer does not
        byte[] blob = new byte[(int) nvSize];
        in.getBytes(at + FrameHeader.HEADER_SIZE, blob);
        NvMessage nv;
        try {
            nv = NvMessage.decode(ByteBuffer.wrap(blob));
        } catch (NvFormatException e) {
            throw fail(in, new HastFrameException(HastFrameException.Kind.MALFORMED_NV,
                    "Malformed nv: " + e.getMessage(), e));
        }
        // size missing or of another type: no payload (hast_proto_recv_data)
        long payloadSize = nv.getUint32(PayloadFields.FIELD_SIZE);
        if (payloadSize > maxPayloadSize) {
            throw fail(in, new HastFrameException(HastFrameException.Kind.PAYLOAD_TOO_LARGE,
                    "Header announces a payload of " + payloadSize + " bytes, the limit is "
                    + maxPayloadSize + "."));
        }
        in.skipBytes(FrameHeader.HEADER_SIZE + (int) nvSize);
        if (payloadSize == 0) {
            out.add(new HastFrame(version, nv));
            return false;
        }
        pendingVersion = version;
        pendingNv = nv;
        pendingPayloadSize = (int) payloadSize;
        return true;
    }

    /** Marks the stream broken, drops what is buffered, and returns {@code e} to throw. */
    private HastFrameException fail(ByteBuf in, HastFrameException e) {
        failed = true;
        pendingNv = null;
        in.skipBytes(in.readableBytes());
        return e;
    }
}
