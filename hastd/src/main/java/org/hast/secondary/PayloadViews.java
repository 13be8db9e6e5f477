package org.hast.secondary;

import java.nio.ByteBuffer;

import org.hast.buffers.KeptBuffer;

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
    /**
     * Shared buffers' views, by the buffer's address (a power of two): the decoder keeps up to
     * 16 MiB of 128 KiB payload buffers, and socket read buffers recur besides.
     */
    private static final int SHARED = 256;
    /** Chunks of this thread's own buffers, looked up by address range. */
    private static final int CHUNKS = 16;
    private final long[] sharedStarts = new long[SHARED];
    private final int[] sharedCapacities = new int[SHARED];
    private final ByteBuffer[] sharedViews = new ByteBuffer[SHARED];
    private final long[] chunkStarts = new long[CHUNKS];
    private final ByteBuffer[] chunkViews = new ByteBuffer[CHUNKS];
    private int nextChunk;
    /** Views for a buffer used beside one of these (a READ's scratch beside its data), or null. */
    private PayloadViews beside;

    /** The payload's readable bytes (its buffer shared) as a buffer valid until the next call. */
    ByteBuffer of(ByteBuf payload) {
        int index = payload.readerIndex();
        int length = payload.readableBytes();
        ByteBuf base = payload.unwrap() != null ? payload.unwrap() : payload;
        if (!payload.hasMemoryAddress() || !base.hasMemoryAddress() || base.nioBufferCount() != 1) {
            return payload.nioBuffer(index, length);
        }
        long start = base.memoryAddress();
        int capacity = base.capacity();
        long offset = payload.memoryAddress() + index - start;
        if (offset < 0 || offset + length > capacity) {
            return payload.nioBuffer(index, length);
        }
        if (base instanceof KeptBuffer kept) {
            // The decoder's payload buffers carry their own view (hashed ones collided: up to
            // 24 MiB of 128 KiB buffers for 256 slots, a view made for a third of the frames).
            return position(kept.wholeView(), offset, length);
        }
        int slot = (int) ((start * 0x9E37_79B9_7F4A_7C15L) >>> (Long.SIZE - Integer.numberOfTrailingZeros(SHARED)));
        ByteBuffer view = sharedViews[slot];
        if (view == null || sharedStarts[slot] != start || sharedCapacities[slot] != capacity) {
            view = base.nioBuffer(0, capacity);
            sharedViews[slot] = view;
            sharedStarts[slot] = start;
            sharedCapacities[slot] = capacity;
        }
        return position(view, offset, length);
    }

    /**
     * {@code length} bytes of {@code buf} from {@code index}, a buffer that no other thread
     * uses meanwhile, as a buffer valid until the next call.
     */
    ByteBuffer ofOwn(ByteBuf buf, int index, int length) {
        if (!buf.hasMemoryAddress() || buf.nioBufferCount() != 1) {
            return buf.nioBuffer(index, length);
        }
        long address = buf.memoryAddress() + index;
        for (int i = 0; i < CHUNKS; i++) {
            ByteBuffer view = chunkViews[i];
            if (view != null && chunkStarts[i] <= address && address + length <= chunkStarts[i] + view.capacity()) {
                return position(view, address - chunkStarts[i], length);
            }
        }
        // The buffer's own view spans its chunk (a pooled buffer's): a copy of it serves every buffer there.
        ByteBuffer internal = buf.internalNioBuffer(index, length);
        ByteBuffer view = internal.duplicate();
        int slot = nextChunk;
        nextChunk = (nextChunk + 1) % CHUNKS;
        chunkViews[slot] = view;
        chunkStarts[slot] = address - internal.position();
        return view;
    }

    /** A second set of views, for a buffer used while one of this set's is: a view is reused per set. */
    PayloadViews beside() {
        if (beside == null) {
            beside = new PayloadViews();
        }
        return beside;
    }

    private static ByteBuffer position(ByteBuffer view, long offset, int length) {
        view.limit((int) offset + length).position((int) offset);
        return view;
    }
}
