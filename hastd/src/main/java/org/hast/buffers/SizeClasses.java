package org.hast.buffers;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.util.internal.PlatformDependent;

/**
 * One connection's direct buffers for payloads that span socket reads, in size classes (powers
 * of two from {@link #MIN_SIZE} up to the largest payload), kept once released for the next
 * payload of the same class. Netty pools nothing this size in a worker (1 MiB chunks, and its
 * adaptive allocator pools nothing above 16 KiB in a small JVM): each payload was a fresh buffer
 * that the JVM zeroed and the kernel faulted in on the event loop (issue #15, docs/memory.md).
 * The link's decoder (secondary) and the NBD export (primary) each keep one per connection.
 *
 * <p>At most a given number of bytes is kept, all classes together; a class not taken from for
 * a second gives its buffers back ({@link #trimIfIdle}), and all go at {@link #close}.
 *
 * <p>Taken on the connection's event loop, given back on whichever thread releases the payload
 * (disk threads, the link's loop): the free lists are bounded array queues and the count an
 * atomic, so neither side allocates.
 */
public final class SizeClasses<B extends KeptBuffer> {
    /** Smaller payloads come from the channel's allocator, which pools them well. */
    public static final int MIN_SIZE = 64 * 1024;

    private final long keptLimit;
    private final Wrapper<B> wrapper;
    /** Per class: its buffers' capacity, its free list, buffers taken (event loop only). */
    private final int[] classSize;
    private final ArrayBlockingQueue<B>[] free;
    private final long[] taken;
    private final long[] takenAtLastTrim;
    private final AtomicLong keptBytes = new AtomicLong();
    private volatile boolean closed;

    /** Makes the buffer object over new memory, or over kept memory for a size its object does not have. */
    @FunctionalInterface
    public interface Wrapper<B extends KeptBuffer> {
        /** A buffer over {@code memory} up to its limit, given back to {@code owner} as class {@code sizeClass}. */
        B wrap(ByteBuffer memory, SizeClasses<B> owner, int sizeClass);
    }

    /**
     * Classes up to {@code maxSize} (the largest is {@code maxSize} itself); {@code keptLimit}
     * bytes kept at most; {@code wrapper} makes the buffer objects.
     */
    @SuppressWarnings("unchecked")
    public SizeClasses(int maxSize, long keptLimit, Wrapper<B> wrapper) {
        this.wrapper = wrapper;
        if (maxSize < MIN_SIZE) {
            throw new IllegalArgumentException("largest payload " + maxSize + " < " + MIN_SIZE);
        }
        this.keptLimit = keptLimit;
        int classes = 1;
        while ((long) MIN_SIZE << (classes - 1) < maxSize) {
            classes++;
        }
        classSize = new int[classes];
        free = new ArrayBlockingQueue[classes];
        for (int c = 0; c < classes; c++) {
            classSize[c] = (int) Math.min((long) MIN_SIZE << c, maxSize);
            free[c] = new ArrayBlockingQueue<>((int) Math.max(1, keptLimit / classSize[c]));
        }
        taken = new long[classes];
        takenAtLastTrim = new long[classes];
    }

    /** Whether a payload of {@code size} bytes has a class here. */
    public boolean fits(int size) {
        return size >= MIN_SIZE && size <= classSize[classSize.length - 1];
    }

    /** The smallest class that holds {@code size} bytes ({@link #fits}). */
    int classOf(int size) {
        int c = 0;
        while (classSize[c] < size) {
            c++;
        }
        return c;
    }

    /**
     * A buffer of {@code size} bytes ({@link #fits}), empty, one reference, its contents stale:
     * the kept object of its class when that has this size, else a new object over the kept
     * memory (a payload of a size seen last time in this class), else new memory.
     * {@code freeKeptFirst}: new memory only after every kept buffer was freed, for a caller
     * whose budget counts the bytes in flight but not those kept.
     */
    public B take(int size, boolean freeKeptFirst) {
        int c = classOf(size);
        taken[c]++;
        B kept = free[c].poll();
        if (kept == null) {
            if (freeKeptFirst) {
                freeKept();
            }
            return wrapper.wrap(ByteBuffer.allocateDirect(classSize[c]).limit(size), this, c);
        }
        keptBytes.addAndGet(-kept.memory().capacity());
        if (kept.capacity() != size) {
            return wrapper.wrap(kept.memory().clear().limit(size), this, c);
        }
        kept.reuse();
        return kept;
    }

    /** A buffer from {@link #take}, released by its last user; any thread. */
    @SuppressWarnings("unchecked")
    void giveBack(KeptBuffer buffer) {
        int size = buffer.memory().capacity();
        if (!closed) {
            // made by this instance's wrapper: a B
            if (keptBytes.addAndGet(size) <= keptLimit && free[buffer.sizeClass()].offer((B) buffer)) {
                if (closed) {
                    // Closed between the check and the offer: close's drain may have missed it.
                    freeKept(buffer.sizeClass());
                }
                return;
            }
            keptBytes.addAndGet(-size);
        }
        PlatformDependent.freeDirectBuffer(buffer.memory());
    }

    /** How many free buffers are kept now. */
    public int kept() {
        int n = 0;
        for (ArrayBlockingQueue<B> q : free) {
            n += q.size();
        }
        return n;
    }

    /** How many bytes the kept buffers hold now. */
    public long keptBytes() {
        return keptBytes.get();
    }

    /**
     * Frees the kept buffers of each class none was taken from since the last call: called
     * every second on the connection's event loop, so an idle connection holds none, and a busy
     * one none of the sizes it no longer uses.
     */
    public void trimIfIdle() {
        for (int c = 0; c < free.length; c++) {
            if (taken[c] == takenAtLastTrim[c]) {
                freeKept(c);
            }
            takenAtLastTrim[c] = taken[c];
        }
    }

    /** Frees what is kept; the connection is gone, so buffers given back later are freed too. */
    public void close() {
        closed = true;
        freeKept();
    }

    /** Frees every kept buffer. */
    public void freeKept() {
        if (keptBytes.get() == 0) {
            return;
        }
        for (int c = 0; c < free.length; c++) {
            freeKept(c);
        }
    }

    private void freeKept(int c) {
        for (KeptBuffer b; (b = free[c].poll()) != null; ) {
            keptBytes.addAndGet(-b.memory().capacity());
            PlatformDependent.freeDirectBuffer(b.memory());
        }
    }
}
