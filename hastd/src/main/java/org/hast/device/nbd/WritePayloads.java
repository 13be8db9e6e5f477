package org.hast.device.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.util.internal.PlatformDependent;

/**
 * One NBD connection's direct buffers for WRITE payloads that span reads, by size, kept for the
 * next WRITE of the same size once the last user of a payload released it. Netty pools nothing
 * this size in a worker (1 MiB chunks, and the adaptive allocator pools nothing above 16 KiB in
 * a small JVM): each 1 MiB WRITE was a fresh buffer that the JVM zeroed and the kernel faulted in
 * on the primary's event loop (issue #15).
 *
 * <p>Only the sizes clients use for large writes are kept: powers of two from 64 KiB to 1 MiB,
 * so a kept buffer is exactly the payload's size and the in-flight budget, which counts the
 * payload's bytes, counts its memory too. At most {@link #KEPT_BYTES} are kept, and none once
 * the connection has been idle for a second ({@link #trimIfIdle}). Any payload allocated anew
 * (a size not kept, or none kept of its size) frees what is kept first ({@link #freeKept}): new
 * memory is taken only when nothing is kept, so the payloads in flight and those kept together
 * never hold more than the budget granted, under the worker's direct-memory cap.
 *
 * <p>Taken on the connection's event loop, given back on whichever thread releases the payload
 * (a {@code local-N} thread, the link's loop); the free lists are bounded array queues, so
 * neither side allocates.
 */
final class WritePayloads {
    static final int MIN_SIZE = 64 << 10;
    static final int MAX_SIZE = 1 << 20;
    /** A queue depth of 16 of the largest size: kept buffers come from what was in flight. */
    static final long KEPT_BYTES = 16L << 20;
    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_SIZE);

    @SuppressWarnings("unchecked")
    private final ArrayBlockingQueue<ByteBuffer>[] free = new ArrayBlockingQueue[
            Integer.numberOfTrailingZeros(MAX_SIZE) - MIN_SHIFT + 1];
    private final AtomicLong keptBytes = new AtomicLong();
    private volatile boolean closed;
    /** Buffers taken, and as many at the last {@link #trimIfIdle}: event loop only. */
    private long taken;
    private long takenAtLastTrim;

    WritePayloads() {
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayBlockingQueue<>((int) (KEPT_BYTES >> (MIN_SHIFT + i)));
        }
    }

    /** Whether a payload of {@code size} bytes is kept here once released. */
    static boolean fits(int size) {
        return size >= MIN_SIZE && size <= MAX_SIZE && Integer.bitCount(size) == 1;
    }

    /**
     * A buffer of exactly {@code size} bytes ({@link #fits}), position 0, its contents stale: a
     * kept one, or else a new one, allocated only after everything kept was freed.
     */
    ByteBuffer take(int size) {
        taken++;
        ByteBuffer kept = free[index(size)].poll();
        if (kept == null) {
            freeKept();
            return ByteBuffer.allocateDirect(size);
        }
        keptBytes.addAndGet(-size);
        return kept.clear();
    }

    /** A buffer from {@link #take} whose payload was released; any thread. */
    void giveBack(ByteBuffer buffer) {
        int size = buffer.capacity();
        if (!closed) {
            if (keptBytes.addAndGet(size) <= KEPT_BYTES && free[index(size)].offer(buffer)) {
                return;
            }
            keptBytes.addAndGet(-size);
        }
        PlatformDependent.freeDirectBuffer(buffer);
    }

    /** How many bytes are kept now. */
    long keptBytes() {
        return keptBytes.get();
    }

    /** Frees the kept buffers if none was taken since the last call (every second, on the loop). */
    void trimIfIdle() {
        if (taken == takenAtLastTrim) {
            freeKept();
        }
        takenAtLastTrim = taken;
    }

    /** Frees what is kept; the connection is gone, so buffers given back later are freed too. */
    void close() {
        closed = true;
        freeKept();
    }

    void freeKept() {
        if (keptBytes.get() == 0) {
            return;
        }
        for (ArrayBlockingQueue<ByteBuffer> sized : free) {
            for (ByteBuffer b; (b = sized.poll()) != null; ) {
                keptBytes.addAndGet(-b.capacity());
                PlatformDependent.freeDirectBuffer(b);
            }
        }
    }

    private static int index(int size) {
        return Integer.numberOfTrailingZeros(size) - MIN_SHIFT;
    }
}
