package org.hast.device.nbd;

import org.hast.block.BlockBackend;
import org.hast.block.InflightBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;

/**
 * One transmission request (doc/proto.md "Request message"), from the decoder to the
 * transmission handler, and then the backend's completion of it. A WRITE carries its payload
 * as a retained slice of the decoder's input (no copy); a READ carries the buffer the reply
 * is built in. Whoever finishes the request releases {@link #buffer}.
 *
 * <p>The backend calls {@link #done} on any thread; the request then runs itself on the
 * channel's event loop ({@link #run}), so the handler's state is touched by one thread only.
 *
 * <p>Once answered, a request goes back to its connection's {@link NbdRequestDecoder} and is
 * decoded into again ({@link #reset}): the header fields are therefore not final. The count of
 * completions is kept while it is idle, so a backend answering it once more is still caught.
 */
final class NbdRequest implements BlockBackend.Completion, Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdRequest.class);
    int flags;
    int type;
    long cookie;
    long offset;
    /** Unsigned 32-bit length from the wire. */
    long length;
    /** WRITE: the payload; READ: reply header space plus data; else null. */
    ByteBuf buffer;

    /** Set by the transmission handler when it starts the request. */
    NbdTransmissionHandler owner;
    /** Bytes this request holds in the worker's in-flight budget, and through which lane. */
    long budgetBytes;
    boolean smallLane;
    /** TRIM / WRITE_ZEROES with FUA: the backend call is followed by a FLUSH. */
    boolean flushAfter;
    /** Which backend call the next {@link #done} completes: 0 the command, 1 the FUA flush. */
    int stage;
    /** How many times the current stage was completed; more than once is a backend bug. */
    int completions;
    volatile int errno;
    /** In the connection's idle list: answered, not yet decoded into again (read by backend threads). */
    volatile boolean idle;

    NbdRequest(int flags, int type, long cookie, long offset, long length, ByteBuf payload) {
        reset(flags, type, cookie, offset, length);
        this.buffer = payload;
    }

    /** Starts over as a newly decoded request; every field of the last one is cleared. */
    void reset(int flags, int type, long cookie, long offset, long length) {
        this.flags = flags;
        this.type = type;
        this.cookie = cookie;
        this.offset = offset;
        this.length = length;
        buffer = null;
        owner = null;
        budgetBytes = 0;
        smallLane = false;
        flushAfter = false;
        stage = 0;
        completions = 0;
        errno = 0;
        idle = false;
    }

    boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public void done(int errno) {
        if (idle) {
            // Checked here, on the backend's thread, before anything is queued: once decoded
            // into again it would answer another request.
            LOG.error("NBD backend completed {} after its answer (errno {}); ignored.", this, errno);
            return;
        }
        this.errno = errno;
        owner.completeFromAnyThread(this);
    }

    @Override
    public void run() {
        owner.complete(this, errno);
    }

    /** Gives the request's bytes back to the budget, once. */
    void releaseBudget(InflightBudget budget) {
        long bytes = budgetBytes;
        budgetBytes = 0;
        if (bytes != 0) {
            budget.release(bytes, smallLane);
        }
    }

    /** Releases the buffer, once. */
    void releaseBuffer() {
        ByteBuf b = buffer;
        buffer = null;
        if (b != null) {
            b.release();
        }
    }

    @Override
    public String toString() {
        return NbdProtocol.commandName(type) + " flags=0x" + Integer.toHexString(flags) + " cookie=0x"
                + Long.toHexString(cookie) + " offset=" + Long.toUnsignedString(offset) + " length="
                + length;
    }
}
