package org.hast.buffers;

import io.netty.buffer.ByteBuf;

/**
 * A decoder that can offer the channel's next socket read a place in a buffer of its own (the
 * missing part of a payload it is gathering), so that the kernel writes those bytes where they
 * will stay instead of into a read buffer the decoder would copy from.
 */
public interface ReadTargetLender {

    /**
     * A writable slice (writer index 0), retained for the read, which comes back through the
     * pipeline as that read's message; or null to let the channel allocate as it would.
     */
    ByteBuf lendReadTarget();
}
