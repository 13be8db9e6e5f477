package org.hast.device.nbd;

import java.nio.ByteBuffer;

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
 * <p>One object per gathered WRITE of 64 KiB or more, as the buffer it replaces was; payloads
 * that arrive in one read are slices of the read buffer, and smaller gathered ones pooled
 * buffers, and both keep the budget until the reply.
 */
final class BudgetedPayload extends UnpooledUnsafeDirectByteBuf implements InflightBudget.HoldingBuffer {
    private final InflightBudget budget;
    private final long bytes;
    private final boolean smallLane;
    /** Where the memory goes back once released, or null: freed. */
    private final WritePayloads keptBy;
    private final ByteBuffer kept;

    /**
     * A buffer of exactly {@code capacity} bytes that now owns {@code request}'s budget bytes:
     * the request holds none any more. Sizes {@code payloads} keeps come from there and go back.
     */
    static BudgetedPayload take(ByteBufAllocator alloc, int capacity, NbdRequest request, InflightBudget budget,
            WritePayloads payloads) {
        BudgetedPayload payload;
        if (WritePayloads.fits(capacity)) {
            payload = new BudgetedPayload(alloc, payloads.take(capacity), payloads, budget, request);
        } else {
            payloads.freeKept(); // new memory only when none is kept (WritePayloads)
            payload = new BudgetedPayload(alloc, capacity, budget, request);
        }
        request.budgetBytes = 0;
        return payload;
    }

    private BudgetedPayload(ByteBufAllocator alloc, int capacity, InflightBudget budget, NbdRequest request) {
        super(alloc, capacity, capacity);
        this.budget = budget;
        this.bytes = request.budgetBytes;
        this.smallLane = request.smallLane;
        this.keptBy = null;
        this.kept = null;
    }

    private BudgetedPayload(ByteBufAllocator alloc, ByteBuffer kept, WritePayloads keptBy, InflightBudget budget,
            NbdRequest request) {
        super(alloc, kept, kept.capacity()); // a view of the whole buffer, which stays the pool's
        clear(); // a wrapped buffer starts out readable; this one is to be filled
        this.budget = budget;
        this.bytes = request.budgetBytes;
        this.smallLane = request.smallLane;
        this.keptBy = keptBy;
        this.kept = kept;
    }

    @Override
    protected void deallocate() {
        super.deallocate();
        if (keptBy != null) {
            keptBy.giveBack(kept);
        }
        if (bytes != 0) {
            budget.release(bytes, smallLane);
        }
    }
}
