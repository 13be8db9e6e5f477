package org.hast.daemon.net;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * An allocator that refuses to hand out, or let grow, any buffer above a bound: a decoder
 * that sized a buffer from an announced length rather than from received bytes fails loudly
 * (an {@link AssertionError} on allocation, an {@link IndexOutOfBoundsException} on growth).
 * Buffers are heap buffers, leak-tracked like the allocator's default ones, and counted: a
 * test that has released everything it was handed can check that {@link #live()} is 0, at
 * once and without waiting for the garbage collector as the leak detector does.
 */
public final class BoundedAllocator extends AbstractByteBufAllocator {
    private final int bound;
    /** Above {@link #bound}, buffers of exactly this size or less are allowed (0: none). */
    private final int exactBound;
    private int largestRequest;
    private int live;

    public BoundedAllocator(int bound) {
        this(bound, 0);
    }

    /**
     * As above, but a buffer asked for with its final size ({@code initialCapacity ==
     * maxCapacity}) of up to {@code exactBound} bytes is allowed too: a decoder that admitted a
     * payload into its memory budget before its bytes arrive gathers it into one such buffer.
     */
    public BoundedAllocator(int bound, int exactBound) {
        super(false);
        this.bound = bound;
        this.exactBound = exactBound;
    }

    /** The largest initial capacity asked for so far. */
    public int largestRequest() {
        return largestRequest;
    }

    /** Buffers handed out and not yet deallocated (reference count not yet 0). */
    public int live() {
        return live;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        largestRequest = Math.max(largestRequest, initialCapacity);
        boolean exact = initialCapacity == maxCapacity && initialCapacity <= exactBound;
        if (initialCapacity > bound && !exact) {
            throw new AssertionError("asked for " + initialCapacity + " bytes, bound " + bound);
        }
        live++;
        return toLeakAwareBuffer(new UnpooledHeapByteBuf(this, initialCapacity,
                exact ? maxCapacity : Math.min(maxCapacity, bound)) {
            @Override
            protected void deallocate() {
                live--;
                super.deallocate();
            }
        });
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
