package org.hast.buffers;

import java.nio.ByteBuffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.internal.PlatformDependent;

/**
 * A payload buffer over one direct allocation that {@link SizeClasses} keeps, kept with it:
 * the next payload of the same size gets this very object back, so neither the buffer nor the
 * views Netty keeps in it (its {@code ByteBuffer} for the disk write) are made again. With no
 * owner, the memory is freed at the last release instead.
 *
 * <p>Its retained slices at a given place are objects kept with it too ({@link Part}): the
 * primary sends a 1 MiB WRITE as eight 128 KiB frames, each a retained slice of the payload,
 * always at the same eight places. A part is used again only once released (so never while a
 * frame being sent or sent again still reads it); a slice asked for while its part is in use,
 * or beyond the parts kept, is an ordinary Netty slice.
 */
public class KeptBuffer extends ReusableDirectBuf {
    /** Slices kept per buffer: a 1 MiB payload in 64 KiB pieces at most. */
    static final int MAX_PARTS = 16;

    private final ByteBuffer memory;
    /** Where this buffer goes back at its last release, or null: its memory is freed then. */
    private final SizeClasses<?> owner;
    private final int sizeClass;
    private Part[] parts;
    /** {@link #wholeView}, made at its first use. */
    private ByteBuffer wholeView;

    /**
     * A buffer over {@code memory}'s first {@code memory.limit()} bytes, empty, one reference.
     *
     * @param owner     where it goes back once released, or null to free {@code memory} then
     * @param sizeClass its class in {@code owner}
     */
    public KeptBuffer(ByteBufAllocator alloc, ByteBuffer memory, SizeClasses<?> owner, int sizeClass) {
        super(alloc, memory.position(0));
        this.memory = memory;
        this.owner = owner;
        this.sizeClass = sizeClass;
        clear(); // a wrapped buffer starts out readable; this one is to be filled
    }

    /** The whole allocation this buffer is a view of (its capacity may be smaller). */
    final ByteBuffer memory() {
        return memory;
    }

    final int sizeClass() {
        return sizeClass;
    }

    /**
     * A {@code ByteBuffer} over this buffer's bytes (index 0 at position 0), kept with it, for
     * the one thread that writes them out while holding the buffer (the secondary's applier):
     * its position and limit are that thread's to set. {@code nioBuffer} makes two objects a call.
     */
    public final ByteBuffer wholeView() {
        if (wholeView == null) {
            wholeView = nioBuffer(0, capacity());
        }
        return wholeView.clear();
    }

    /** Taken again from its owner's free list: one reference, empty. */
    final void reuse() {
        revive();
        clear();
    }

    /** Back to the owner, or freed; a subclass that gives more back reads its state first. */
    @Override
    protected void recycle() {
        if (owner != null) {
            owner.giveBack(this);
        } else {
            PlatformDependent.freeDirectBuffer(memory);
        }
    }

    @Override
    public ByteBuf retainedSlice(int index, int length) {
        checkIndex(index, length);
        Part part = freePart(index, length);
        if (part == null) {
            return super.retainedSlice(index, length);
        }
        retain(); // the part's, given back when the part is released
        return part;
    }

    /**
     * The kept part for exactly these bytes, now in use; or null (in use, or no room for one).
     * Synchronized for callers on several threads (the parts are the sender loop's in practice).
     */
    private synchronized Part freePart(int index, int length) {
        if (parts == null) {
            parts = new Part[MAX_PARTS];
        }
        for (int i = 0; i < parts.length; i++) {
            Part p = parts[i];
            if (p == null) {
                parts[i] = new Part(this, index, length);
                return parts[i];
            }
            if (p.index == index && p.capacity() == length) {
                if (!p.isFree()) {
                    return null;
                }
                p.revive();
                p.setIndex(0, length);
                return p;
            }
        }
        return null;
    }

    /** A slice of a kept buffer, kept with it; it holds one reference to the buffer while in use. */
    private static final class Part extends ReusableDirectBuf {
        private final KeptBuffer whole;
        private final int index;

        Part(KeptBuffer whole, int index, int length) {
            super(whole.alloc(), whole.memory.duplicate().limit(index + length).position(index));
            this.whole = whole;
            this.index = index;
        }

        @Override
        protected void recycle() {
            whole.release();
        }

        @Override
        public ByteBuf unwrap() {
            return whole;
        }
    }
}
