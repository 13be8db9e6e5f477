package org.hast.link;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * One connection's direct buffers for large payloads that span reads, handed back when the
 * frame's last user releases it and kept for the next frame of about the same size. Netty's
 * allocators pool nothing this size here (1 MiB chunks, {@code WorkerJvmOptions}): each payload
 * was a fresh allocation the JVM zeroed and the kernel faulted in, which cost the secondary's
 * event loop more CPU than reading the bytes from the socket.
 *
 * <p>Buffers come in size classes, powers of two from {@link #MIN_SIZE} up to the largest
 * payload: a replicated write (128 KiB) takes a 128 KiB buffer, a synchronisation step (1 MiB)
 * a 1 MiB one. One size for all made every 128 KiB write hold (and the JVM zero) 1 MiB, which
 * was most of the secondary's direct memory under sequential writes (issue #15: docs/memory.md).
 * At most {@link #KEPT_BYTES} are kept, all classes together; a class not taken from for a
 * second gives its buffers back ({@link #trimIfIdle}), and all go when the connection closes.
 *
 * <p>Taken on the channel's event loop, given back on whichever thread releases the frame
 * (the disk threads); the free lists are bounded array queues and the count an atomic, so
 * neither side allocates.
 */
final class PayloadBuffers {
    /**
     * Free bytes kept, all classes together: the disk threads release payloads in bursts as
     * large as the requests in flight (sync window 16 × 1 MiB, NBD clients' 32 × 1 MiB split into
     * 128 KiB requests); kept ones are taken from what was in flight, so they add to the memory
     * only while idle, which {@link #trimIfIdle} ends.
     */
    static final long KEPT_BYTES = 16L << 20;
    /** Smaller payloads come from the channel's allocator, which pools them well. */
    static final int MIN_SIZE = 64 * 1024;

    private final int maxSize;
    /** Per class: its buffers' capacity, its free list, buffers taken (event loop only). */
    private final int[] classSize;
    private final ArrayBlockingQueue<ByteBuffer>[] free;
    private final long[] taken;
    private final long[] takenAtLastTrim;
    private final AtomicLong keptBytes = new AtomicLong();
    private volatile boolean closed;

    @SuppressWarnings("unchecked")
    PayloadBuffers(int maxSize) {
        if (maxSize < MIN_SIZE) {
            throw new IllegalArgumentException("largest payload " + maxSize + " < " + MIN_SIZE);
        }
        this.maxSize = maxSize;
        int classes = 1;
        while ((long) MIN_SIZE << (classes - 1) < maxSize) {
            classes++;
        }
        classSize = new int[classes];
        free = new ArrayBlockingQueue[classes];
        for (int c = 0; c < classes; c++) {
            classSize[c] = (int) Math.min((long) MIN_SIZE << c, maxSize);
            free[c] = new ArrayBlockingQueue<>((int) Math.max(1, KEPT_BYTES / classSize[c]));
        }
        taken = new long[classes];
        takenAtLastTrim = new long[classes];
    }

    /** Whether a payload of {@code size} bytes is taken from here. */
    boolean fits(int size) {
        return size >= MIN_SIZE && size <= maxSize;
    }

    /** A buffer of capacity {@code size} (see {@link #fits}), empty, reference count 1. */
    ByteBuf take(ByteBufAllocator alloc, int size) {
        int c = classOf(size);
        taken[c]++;
        ByteBuffer whole = free[c].poll();
        if (whole == null) {
            whole = ByteBuffer.allocateDirect(classSize[c]);
        } else {
            keptBytes.addAndGet(-whole.capacity());
        }
        whole.clear().limit(size);
        return new Payload(alloc, whole, this, c);
    }

    /** The smallest class that holds {@code size} bytes. */
    private int classOf(int size) {
        int c = 0;
        while (classSize[c] < size) {
            c++;
        }
        return c;
    }

    /** How many free buffers are kept now. */
    int kept() {
        int n = 0;
        for (ArrayBlockingQueue<ByteBuffer> q : free) {
            n += q.size();
        }
        return n;
    }

    /** How many bytes the free buffers kept now hold. */
    long keptBytes() {
        return keptBytes.get();
    }

    /**
     * Frees the kept buffers of each class none was taken from since the last call: the
     * decoder calls it every second on its event loop, so an idle connection holds none, and
     * a busy one none of the sizes it no longer uses.
     */
    void trimIfIdle() {
        for (int c = 0; c < free.length; c++) {
            if (taken[c] == takenAtLastTrim[c]) {
                freeKept(c);
            }
            takenAtLastTrim[c] = taken[c];
        }
    }

    /** Frees the kept buffers; buffers released later are freed instead of kept. */
    void close() {
        closed = true;
        for (int c = 0; c < free.length; c++) {
            freeKept(c);
        }
    }

    private void freeKept(int c) {
        for (ByteBuffer b; (b = free[c].poll()) != null; ) {
            keptBytes.addAndGet(-b.capacity());
            PlatformDependent.freeDirectBuffer(b);
        }
    }

    private void giveBack(ByteBuffer whole, int c) {
        int size = whole.capacity();
        if (!closed) {
            if (keptBytes.addAndGet(size) <= KEPT_BYTES && free[c].offer(whole)) {
                return;
            }
            keptBytes.addAndGet(-size);
        }
        PlatformDependent.freeDirectBuffer(whole);
    }

    /** A view of one kept buffer, which goes back on its last release. */
    private static final class Payload extends UnpooledUnsafeDirectByteBuf {
        private final ByteBuffer whole;
        private final PayloadBuffers owner;
        private final int sizeClass;

        Payload(ByteBufAllocator alloc, ByteBuffer whole, PayloadBuffers owner, int sizeClass) {
            // a slice of position..limit, with capacity and maximum capacity both the payload's size
            super(alloc, whole, whole.remaining());
            this.whole = whole;
            this.owner = owner;
            this.sizeClass = sizeClass;
            clear(); // a wrapped buffer starts out readable; this one is to be filled
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            owner.giveBack(whole, sizeClass);
        }
    }
}
