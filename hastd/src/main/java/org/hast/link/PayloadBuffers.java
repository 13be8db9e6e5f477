package org.hast.link;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * One connection's direct buffers for large payloads that span reads, each big enough for a
 * request ({@link HastFrameDecoder#AHEAD_LIMIT}), handed back when the frame's last user
 * releases it and kept for the next frame, at most {@link #KEPT} of them, none once the
 * connection has been idle for a second. Netty's allocators
 * pool nothing this size here (1 MiB chunks, {@code WorkerJvmOptions}): each payload was a
 * fresh allocation the JVM zeroed and the kernel faulted in, which cost the secondary's event
 * loop more CPU than reading the bytes from the socket.
 *
 * <p>Taken on the channel's event loop, given back on whichever thread releases the frame
 * (the disk threads); the free list is a bounded array queue, so neither allocates.
 */
final class PayloadBuffers {
    /**
     * Free buffers kept: the disk threads release payloads in bursts as large as the requests
     * in flight (sync window 16, NBD clients' queue depth 32); kept ones are taken from what
     * was in flight, so they add to the memory only while idle, which {@link #trimIfIdle} ends.
     */
    static final int KEPT = 16;
    /** Smaller payloads come from the channel's allocator, which pools them well. */
    static final int MIN_SIZE = 64 * 1024;

    private final int bufferSize;
    private final ArrayBlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(KEPT);
    private volatile boolean closed;
    /** Buffers taken, and as many at the last {@link #trimIfIdle}: event loop only. */
    private long taken;
    private long takenAtLastTrim;

    PayloadBuffers(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    /** Whether a payload of {@code size} bytes is taken from here. */
    boolean fits(int size) {
        return size >= MIN_SIZE && size <= bufferSize;
    }

    /** A buffer of capacity {@code size} (see {@link #fits}), empty, reference count 1. */
    ByteBuf take(ByteBufAllocator alloc, int size) {
        taken++;
        ByteBuffer whole = free.poll();
        if (whole == null) {
            whole = ByteBuffer.allocateDirect(bufferSize);
        }
        whole.clear().limit(size);
        return new Payload(alloc, whole, this);
    }

    /** How many free buffers are kept now. */
    int kept() {
        return free.size();
    }

    /**
     * Frees the kept buffers if none was taken since the last call: the decoder calls it every
     * second on its event loop, so an idle connection holds none.
     */
    void trimIfIdle() {
        if (taken == takenAtLastTrim) {
            freeKept();
        }
        takenAtLastTrim = taken;
    }

    /** Frees the kept buffers; buffers released later are freed instead of kept. */
    void close() {
        closed = true;
        freeKept();
    }

    private void freeKept() {
        for (ByteBuffer b; (b = free.poll()) != null; ) {
            PlatformDependent.freeDirectBuffer(b);
        }
    }

    private void giveBack(ByteBuffer whole) {
        if (closed || !free.offer(whole)) {
            PlatformDependent.freeDirectBuffer(whole);
        }
    }

    /** A view of one kept buffer, which goes back on its last release. */
    private static final class Payload extends UnpooledUnsafeDirectByteBuf {
        private final ByteBuffer whole;
        private final PayloadBuffers owner;

        Payload(ByteBufAllocator alloc, ByteBuffer whole, PayloadBuffers owner) {
            // a slice of position..limit, with capacity and maximum capacity both the payload's size
            super(alloc, whole, whole.remaining());
            this.whole = whole;
            this.owner = owner;
            clear(); // a wrapped buffer starts out readable; this one is to be filled
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            owner.giveBack(whole);
        }
    }
}
