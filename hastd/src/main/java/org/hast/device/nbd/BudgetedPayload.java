package org.hast.device.nbd;

import org.hast.block.InflightBudget;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;

/**
 * A WRITE payload gathered from several reads, which gives its bytes back to the
 * {@link InflightBudget} when its memory is freed: when the last reference to it, or to any
 * slice of it, is released. The reply is not that moment: memsync answers the client once the
 * secondary has the data but keeps the payload until the secondary wrote it, and async keeps
 * its frame queued for the link. A budget given back at the reply let the next 32 MiB WRITE be
 * allocated while the last one was still in memory, over the worker's direct-memory cap
 * (MemoryBoundIT on the shared loop: the allocation failed on the loop and its client stalled).
 *
 * <p>One object per gathered WRITE, as the buffer it replaces was; payloads that arrive in
 * one read are slices of the read buffer and keep the budget until the reply.
 */
final class BudgetedPayload extends UnpooledUnsafeDirectByteBuf implements InflightBudget.HoldingBuffer {
    private final InflightBudget budget;
    private final long bytes;
    private final boolean smallLane;

    /**
     * A buffer of exactly {@code capacity} bytes that now owns {@code request}'s budget bytes:
     * the request holds none any more.
     */
    static BudgetedPayload take(ByteBufAllocator alloc, int capacity, NbdRequest request, InflightBudget budget) {
        BudgetedPayload payload = new BudgetedPayload(alloc, capacity, budget, request.budgetBytes,
                request.smallLane);
        request.budgetBytes = 0;
        return payload;
    }

    private BudgetedPayload(ByteBufAllocator alloc, int capacity, InflightBudget budget, long bytes,
            boolean smallLane) {
        super(alloc, capacity, capacity);
        this.budget = budget;
        this.bytes = bytes;
        this.smallLane = smallLane;
    }

    @Override
    protected void deallocate() {
        super.deallocate();
        if (bytes != 0) {
            budget.release(bytes, smallLane);
        }
    }
}
