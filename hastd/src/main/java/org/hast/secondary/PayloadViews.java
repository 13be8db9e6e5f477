package org.hast.secondary;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;

/**
 * One applier's {@link ByteBuffer} views of the payloads it writes and the buffers it reads
 * into, without a view object per request: {@code ByteBuf.nioBuffer()} made two per WRITE
 * (about 180 bytes of a 4 KiB write's 270, issue #15) and {@code internalNioBuffer} one per
 * READ (a recycled buffer starts without its view). Views of whole memory regions are kept
 * and repositioned: a shared buffer's (a payload is a slice of a socket read's or of one of
 * the decoder's payload buffers) or, for a buffer this thread owns, its pool chunk's.
 *
 * <p>A view is looked up by address: one kept from memory since freed is used only for bytes
 * that back the given buffer now (Netty frees its chunks explicitly, so a kept view pins no
 * native memory). Never {@code internalNioBuffer} of a shared buffer: that view
 * belongs to the buffer its slices share, which the event loop and other appliers use
 * meanwhile. Not thread-safe: one instance per applier.
 */
final class PayloadViews {
    /** Regions kept: a connection's payloads and reads fall in a few dozen. */
    private static final int SLOTS = 32;
    private final long[] starts = new long[SLOTS];
    private final int[] capacities = new int[SLOTS];
    private final ByteBuffer[] views = new ByteBuffer[SLOTS];
    private int next;
    /** Views for a buffer used beside one of these (a READ's scratch beside its data), or null. */
    private PayloadViews beside;

    /** The payload's readable bytes (its buffer shared) as a buffer valid until the next call. */
    ByteBuffer of(ByteBuf payload) {
        return view(payload, payload.readerIndex(), payload.readableBytes(), false);
    }

    /**
     * {@code length} bytes of {@code buf} from {@code index}, a buffer that no other thread
     * uses meanwhile, as a buffer valid until the next call.
     */
    ByteBuffer ofOwn(ByteBuf buf, int index, int length) {
        return view(buf, index, length, true);
    }

    /** A second set of views, for a buffer used while one of this set's is: a view is reused per set. */
    PayloadViews beside() {
        if (beside == null) {
            beside = new PayloadViews();
        }
        return beside;
    }

    private ByteBuffer view(ByteBuf buf, int index, int length, boolean own) {
        if (!buf.hasMemoryAddress() || buf.nioBufferCount() != 1) {
            return buf.nioBuffer(index, length);
        }
        long address = buf.memoryAddress() + index;
        for (int i = 0; i < SLOTS; i++) {
            ByteBuffer view = views[i];
            if (view != null && starts[i] <= address && address + length <= starts[i] + capacities[i]) {
                int start = (int) (address - starts[i]);
                view.limit(start + length).position(start);
                return view;
            }
        }
        ByteBuffer region;
        long start;
        if (own) {
            // The buffer's own view spans its chunk: a copy of it serves every buffer of that chunk.
            ByteBuffer internal = buf.internalNioBuffer(index, length);
            region = internal.duplicate().clear();
            start = address - internal.position();
        } else {
            ByteBuf base = buf.unwrap() != null ? buf.unwrap() : buf;
            if (!base.hasMemoryAddress() || base.nioBufferCount() != 1) {
                return buf.nioBuffer(index, length);
            }
            region = base.nioBuffer(0, base.capacity());
            start = base.memoryAddress();
        }
        int slot = next;
        next = (next + 1) % SLOTS;
        views[slot] = region;
        starts[slot] = start;
        capacities[slot] = region.capacity();
        int offset = (int) (address - start);
        region.limit(offset + length).position(offset);
        return region;
    }
}
