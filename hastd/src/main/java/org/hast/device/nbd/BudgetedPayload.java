package org.hast.device.nbd;

import java.nio.ByteBuffer;

import org.hast.block.InflightBudget;
import org.hast.buffers.KeptBuffer;
import org.hast.buffers.SizeClasses;

import io.netty.buffer.ByteBufAllocator;

/**
 * A WRITE payload gathered from several reads, which gives its bytes back to the
 * {@link InflightBudget} when its memory is freed: when the last reference to it, or to any
 * slice of it, is released. The reply is not that moment: memsync answers the client once the
 * secondary has the data but keeps the payload until the secondary wrote it, and async keeps
 * its frame queued for the link. A budget given back at the reply let the next 32 MiB WRITE be
 * allocated while the last one was still in memory, over the worker's direct-memory cap
 * (MemoryBoundIT on the shared loop: the allocation failed on the loop and its client stalled).
 *
 * <p>Payloads of the sizes {@link WritePayloads} keeps are kept with their memory and taken
 * again, object and slices included, by the next WRITE of their size (no object per request);
 * others (64 KiB or more, not a power of two) are one object per WRITE, freed at the last
 * release. Payloads that arrive in one read are slices of the read buffer, and smaller
 * gathered ones pooled buffers, and both keep the budget until the reply.
 */
final class BudgetedPayload extends KeptBuffer implements InflightBudget.HoldingBuffer {
    private final InflightBudget budget;
    /** The request's budget bytes, owned by this buffer while in use; set at each take. */
    private long bytes;
    private boolean smallLane;

    /**
     * A buffer of exactly {@code capacity} bytes that now owns {@code request}'s budget bytes:
     * the request holds none any more. Sizes {@code payloads} keeps come from there and go back.
     */
    static BudgetedPayload take(int capacity, NbdRequest request, WritePayloads payloads) {
        BudgetedPayload payload;
        if (WritePayloads.fits(capacity)) {
            payload = payloads.take(capacity);
        } else {
            payloads.freeKept(); // new memory only when none is kept (WritePayloads)
            payload = new BudgetedPayload(ByteBufAllocator.DEFAULT, ByteBuffer.allocateDirect(capacity), null, -1,
                    payloads.budget());
        }
        payload.bytes = request.budgetBytes;
        payload.smallLane = request.smallLane;
        request.budgetBytes = 0;
        return payload;
    }

    /** Over {@code memory} up to its limit; kept by {@code owner}, or freed at the last release when null. */
    BudgetedPayload(ByteBufAllocator alloc, ByteBuffer memory, SizeClasses<BudgetedPayload> owner, int sizeClass,
            InflightBudget budget) {
        super(alloc, memory, owner, sizeClass);
        this.budget = budget;
    }

    @Override
    protected void recycle() {
        // Read before the buffer goes back: the loop may take it again at once.
        long held = bytes;
        boolean small = smallLane;
        bytes = 0;
        super.recycle();
        if (held != 0) {
            budget.release(held, small);
        }
    }
}
