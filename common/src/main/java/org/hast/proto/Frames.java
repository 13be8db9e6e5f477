package org.hast.proto;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;

/**
 * Header + nv, the unit every channel but the bitmap connection exchanges (spec §4.1). The
 * payload, when the nv announces one with {@code size}, is left to the caller: it may be
 * large and usually goes straight to or from a pooled buffer.
 */
public final class Frames {
    private Frames() {
    }

    /** Bytes of header + nv. */
    public static int frameSize(NvWriter nv) {
        return FrameHeader.HEADER_SIZE + nv.encodedSize();
    }

    /** Header + nv into a new little-endian buffer, positioned at 0. */
    public static ByteBuffer encode(int version, NvWriter nv) {
        ByteBuffer buf = ByteBuffer.allocate(frameSize(nv)).order(ByteOrder.LITTLE_ENDIAN);
        encodeTo(buf, version, nv);
        return buf.flip();
    }

    /**
     * Writes header + nv at {@code dst}'s position and advances it.
     *
     * @throws java.nio.BufferOverflowException if there is less room than
     *         {@link #frameSize(NvWriter)}
     */
    public static void encodeTo(ByteBuffer dst, int version, NvWriter nv) {
        new FrameHeader(version, nv.encodedSize()).encodeTo(dst);
        nv.encodeTo(dst);
    }

    /**
     * Reads header + nv at {@code src}'s position and advances it past them, leaving any
     * payload in place. The message is a view of {@code src}'s bytes (see {@link NvMessage}).
     *
     * @throws FrameException  for a bad header or when the nv is not all there (TRUNCATED);
     *                         the position is then not moved
     * @throws NvFormatException for a malformed nv blob; the position is then not moved
     */
    public static Frame decode(ByteBuffer src, int maxNvSize)
            throws FrameException, NvFormatException {
        int start = src.position();
        FrameHeader header = FrameHeader.decode(src, maxNvSize);
        if (src.remaining() < header.nvSize()) {
            int have = src.remaining();
            src.position(start);
            throw new FrameException(FrameException.Kind.TRUNCATED, "truncated frame: nv of "
                    + header.nvSize() + " bytes announced, " + have + " present");
        }
        ByteBuffer blob = src.slice(src.position(), header.nvSize());
        NvMessage nv;
        try {
            nv = NvMessage.decode(blob);
        } catch (NvFormatException e) {
            src.position(start);
            throw e;
        }
        src.position(src.position() + header.nvSize());
        return new Frame(header.version(), nv);
    }

    /**
     * Reads header + nv from a blocking stream (e.g. the control socket), allocating at most
     * {@code maxNvSize} bytes. End of stream before the first byte or in the middle is an
     * {@link EOFException}.
     */
    public static Frame readFrom(InputStream in, int maxNvSize)
            throws IOException, NvFormatException {
        byte[] head = in.readNBytes(FrameHeader.HEADER_SIZE);
        if (head.length < FrameHeader.HEADER_SIZE) {
            throw new EOFException("connection closed after " + head.length + " of "
                    + FrameHeader.HEADER_SIZE + " header bytes");
        }
        FrameHeader header = FrameHeader.decode(ByteBuffer.wrap(head), maxNvSize);
        byte[] body = in.readNBytes(header.nvSize());
        if (body.length < header.nvSize()) {
            throw new EOFException("connection closed after " + body.length + " of "
                    + header.nvSize() + " nv bytes");
        }
        return new Frame(header.version(), NvMessage.decode(ByteBuffer.wrap(body)));
    }
}
