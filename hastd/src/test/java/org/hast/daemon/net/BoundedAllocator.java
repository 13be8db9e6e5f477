package org.hast.daemon.net;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * An allocator that refuses to hand out, or let grow, any buffer above a bound: a decoder
 * that sized a buffer from an announced length rather than from received bytes fails loudly
 * (an {@link AssertionError} on allocation, an {@link IndexOutOfBoundsException} on growth).
 * Buffers are heap buffers, leak-tracked like the allocator's default ones.
 */
final class BoundedAllocator extends AbstractByteBufAllocator {
    private final int bound;
    private int largestRequest;

    BoundedAllocator(int bound) {
        super(false);
        this.bound = bound;
    }

    /** The largest initial capacity asked for so far. */
    int largestRequest() {
        return largestRequest;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        largestRequest = Math.max(largestRequest, initialCapacity);
        if (initialCapacity > bound) {
            throw new AssertionError("asked for " + initialCapacity + " bytes, bound " + bound);
        }
        return toLeakAwareBuffer(new UnpooledHeapByteBuf(this, initialCapacity,
                Math.min(maxCapacity, bound)));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }
}
