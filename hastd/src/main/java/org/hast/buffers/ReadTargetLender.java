package org.hast.buffers;

import io.netty.buffer.ByteBuf;

/**
 * A decoder that can offer the channel's next socket read a place in a buffer of its own (the
 * missing part of a payload it is gathering), so that the kernel writes those bytes where they
 * will stay instead of into a read buffer the decoder would copy from.
 */
public interface ReadTargetLender {

    /**
     * A buffer whose writable part (from its writer index to its capacity) is where the read
     * goes, retained for the read, which comes back through the pipeline as that read's message
     * with its writer index moved past the bytes read (its reader index is not the read's
     * start: the payload itself is lent, not a slice of it, which was an object per read); or
     * null to let the channel allocate as it would.
     */
    ByteBuf lendReadTarget();
}
