package org.hast.link;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import org.hast.testing.WireVectors;
import org.hast.testing.WireVectors.Message;

/**
 * Byte streams built from the captured messages of vectors/nv/wire_* and ways to cut them
 * into reads. The captures hold header + nv only; a message whose nv announces {@code size}
 * gets that many made-up payload bytes, different for every message.
 */
final class VectorStreams {
    /** How a stream is cut into reads. */
    enum Cut { WHOLE, BYTE_BY_BYTE, RANDOM }

    private VectorStreams() {
    }

    static List<Message> messages() {
        return WireVectors.all();
    }

    /** The made-up payload of a message: a pattern seeded by its name. */
    static byte[] payload(Message m) {
        byte[] out = new byte[(int) m.payloadSize()];
        new Random(m.name().hashCode()).nextBytes(out);
        return out;
    }

    /** Header + nv as captured (garbage name padding included) + made-up payload. */
    static byte[] frame(Message m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(m.raw());
        out.writeBytes(payload(m));
        return out.toByteArray();
    }

    /**
     * The stream cut into buffers. WHOLE and RANDOM pieces come from {@code alloc} (tracked by
     * the leak detector); BYTE_BY_BYTE pieces wrap the array (one tracked record per byte would
     * take minutes at PARANOID for a 1 MiB payload).
     */
    static List<ByteBuf> cut(byte[] stream, Cut cut, Random random, ByteBufAllocator alloc) {
        List<ByteBuf> out = new ArrayList<>();
        switch (cut) {
            case WHOLE:
                out.add(copy(alloc, stream, 0, stream.length));
                break;
            case BYTE_BY_BYTE:
                for (int i = 0; i < stream.length; i++) {
                    out.add(Unpooled.wrappedBuffer(stream, i, 1));
                }
                break;
            default:
                int at = 0;
                while (at < stream.length) {
                    int n = Math.min(stream.length - at, 1 + random.nextInt(
                            random.nextBoolean() ? 16 : 70_000));
                    out.add(copy(alloc, stream, at, n));
                    at += n;
                }
        }
        return out;
    }

    private static ByteBuf copy(ByteBufAllocator alloc, byte[] src, int from, int length) {
        ByteBuf buf = alloc.buffer(length);
        buf.writeBytes(src, from, length);
        return buf;
    }
}
