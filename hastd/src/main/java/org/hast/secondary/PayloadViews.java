package org.hast.secondary;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;

/**
 * One applier's {@link ByteBuffer} views of the payloads it writes, without a view object per
 * request: {@code ByteBuf.nioBuffer()} made two per WRITE (about 180 bytes of a 4 KiB write's
 * 270, issue #15). A payload is a slice of a pooled direct buffer (a socket read's, or one of
 * the decoder's payload buffers); one view of each such buffer's whole memory is kept and
 * repositioned. {@code internalNioBuffer} is no substitute: that view belongs to the buffer the
 * slices share, which other appliers and the event loop use meanwhile.
 *
 * <p>A view is found by the address and capacity of the buffer's memory now, so one kept from
 * memory since freed is used only if the same memory backs a buffer again. Not thread-safe: one
 * instance per applier.
 */
final class PayloadViews {
    /** A power of two: the distinct buffers a connection's payloads arrive in are a few dozen. */
    private static final int SLOTS = 64;
    private final long[] addresses = new long[SLOTS];
    private final int[] capacities = new int[SLOTS];
    private final ByteBuffer[] views = new ByteBuffer[SLOTS];

    /** The payload's readable bytes as a buffer valid until the next call. */
    ByteBuffer of(ByteBuf payload) {
        ByteBuf base = payload.unwrap() != null ? payload.unwrap() : payload;
        if (!payload.hasMemoryAddress() || !base.hasMemoryAddress() || base.nioBufferCount() != 1) {
            return payload.nioBuffer();
        }
        long baseAddress = base.memoryAddress();
        int capacity = base.capacity();
        long start = payload.memoryAddress() + payload.readerIndex() - baseAddress;
        int length = payload.readableBytes();
        if (start < 0 || start + length > capacity) {
            return payload.nioBuffer();
        }
        int slot = (int) ((baseAddress * 0x9E37_79B9_7F4A_7C15L) >>> (Long.SIZE - Integer.numberOfTrailingZeros(SLOTS)));
        ByteBuffer view = views[slot];
        if (view == null || addresses[slot] != baseAddress || capacities[slot] != capacity) {
            view = base.nioBuffer(0, capacity);
            views[slot] = view;
            addresses[slot] = baseAddress;
            capacities[slot] = capacity;
        }
        view.limit((int) start + length).position((int) start);
        return view;
    }
}
