package org.hast.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.hast.buffers.KeptBuffer;
import org.hast.buffers.SizeClasses;

/**
 * One connection's direct buffers for large payloads that span reads ({@link SizeClasses}),
 * handed back when the frame's last user releases it and kept for the next frame of about the
 * same size: a replicated write (128 KiB) takes a 128 KiB buffer, a synchronisation step (1 MiB)
 * a 1 MiB one. One size for all made every 128 KiB write hold (and the JVM zero) 1 MiB, which was
 * most of the secondary's direct memory under sequential writes (issue #15: docs/memory.md).
 */
final class PayloadBuffers {
    /**
     * Free bytes kept, all classes together: the disk threads release payloads in bursts as
     * large as the requests in flight (sync window 16 × 1 MiB, NBD clients' 32 × 1 MiB split into
     * 128 KiB requests); kept ones are taken from what was in flight, so they add to the memory
     * only while idle, which {@link #trimIfIdle} ends. 24 MiB: a primary of ours has at most its
     * in-flight budget (22 MiB) outstanding, so a burst of replies frees none of what the next
     * burst takes again; 16 MiB made one 128 KiB payload in 80 a new buffer, zeroed by the JVM,
     * during 1 MiB writes at qd32 (issue #15).
     */
    static final long KEPT_BYTES = 24L << 20;
    static final int MIN_SIZE = SizeClasses.MIN_SIZE;

    private final SizeClasses<KeptBuffer> classes;

    PayloadBuffers(int maxSize) {
        // the allocator a buffer reports serves only its copies
        this.classes = new SizeClasses<>(maxSize, KEPT_BYTES,
                (memory, owner, sizeClass) -> new KeptBuffer(ByteBufAllocator.DEFAULT, memory, owner, sizeClass));
    }

    /** Whether a payload of {@code size} bytes is taken from here. */
    boolean fits(int size) {
        return classes.fits(size);
    }

    /**
     * A buffer of capacity {@code size} (see {@link #fits}), empty, reference count 1: the
     * object last released in its class when that had this size (a replicated write's 128 KiB,
     * a synchronisation step's 1 MiB), so a frame costs no buffer object.
     */
    ByteBuf take(int size) {
        return classes.take(size, false);
    }

    /** How many free buffers are kept now. */
    int kept() {
        return classes.kept();
    }

    /** How many bytes the free buffers kept now hold. */
    long keptBytes() {
        return classes.keptBytes();
    }

    /** Every second on the decoder's event loop: see {@link SizeClasses#trimIfIdle}. */
    void trimIfIdle() {
        classes.trimIfIdle();
    }

    /** Frees the kept buffers; buffers released later are freed instead of kept. */
    void close() {
        classes.close();
    }
}
