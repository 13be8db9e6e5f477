package org.hast.buffers;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.IllegalReferenceCountException;

/**
 * A {@code ByteBuf} over direct memory it does not own, whose object is used again after its
 * last release: Netty 4.2 cannot bring a released buffer back (its count is a private object,
 * final at zero), so a payload buffer was a new {@code ByteBuf}, a {@code RefCnt} and a
 * {@code ByteBuffer} slice per request, and its views more (issue #15: about 700 bytes per
 * 1 MiB WRITE on the primary's loop, 1600 on the secondary's).
 *
 * <p>The reference count is this class's own: Netty's stays at one and is never released, so
 * Netty's own checks for a released buffer no longer apply; like a pooled Netty buffer, a
 * released one belongs to its owner, and a holder that kept it reads whatever comes next.
 * {@link #recycle} runs once per use, on the thread of the last release.
 */
public abstract class ReusableDirectBuf extends UnpooledUnsafeDirectByteBuf {
    private static final AtomicIntegerFieldUpdater<ReusableDirectBuf> REFS =
            AtomicIntegerFieldUpdater.newUpdater(ReusableDirectBuf.class, "refs");
    private volatile int refs = 1;

    /** A view of {@code memory}'s position to limit, readable, one reference. */
    protected ReusableDirectBuf(ByteBufAllocator alloc, ByteBuffer memory) {
        super(alloc, memory, memory.remaining());
    }

    /** The last reference is gone: hand the object (or its memory) back. */
    protected abstract void recycle();

    /** Whether nobody holds this buffer: its owner may use it again ({@link #revive}). */
    protected final boolean isFree() {
        return refs == 0;
    }

    /** In use again after {@link #recycle}: one reference; the indices are the caller's to set. */
    protected final void revive() {
        refs = 1;
    }

    @Override
    public int refCnt() {
        return refs;
    }

    @Override
    public ByteBuf retain() {
        return retain(1);
    }

    @Override
    public ByteBuf retain(int increment) {
        if (increment <= 0) {
            throw new IllegalArgumentException("increment " + increment);
        }
        for (;;) {
            int r = refs;
            if (r <= 0 || r + increment < r) {
                throw new IllegalReferenceCountException(r, increment);
            }
            if (REFS.compareAndSet(this, r, r + increment)) {
                return this;
            }
        }
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (decrement <= 0) {
            throw new IllegalArgumentException("decrement " + decrement);
        }
        for (;;) {
            int r = refs;
            if (r < decrement) {
                throw new IllegalReferenceCountException(r, -decrement);
            }
            if (REFS.compareAndSet(this, r, r - decrement)) {
                if (r == decrement) {
                    recycle();
                    return true;
                }
                return false;
            }
        }
    }

    @Override
    public ByteBuf touch() {
        return this;
    }

    @Override
    public ByteBuf touch(Object hint) {
        return this;
    }
}
