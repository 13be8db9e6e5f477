package org.hast.device.nbd;

import org.hast.block.InflightBudget;
import org.hast.buffers.SizeClasses;

import io.netty.buffer.ByteBufAllocator;

/**
 * One NBD connection's direct buffers for WRITE payloads that span reads ({@link SizeClasses}),
 * kept for the next WRITE of the same size once the last user of a payload released it: each
 * 1 MiB WRITE was a fresh buffer the JVM zeroed on the primary's event loop.
 *
 * <p>Only the sizes clients use for large writes are kept: powers of two from 64 KiB to 1 MiB,
 * so a kept buffer is exactly the payload's size and the in-flight budget, which counts the
 * payload's bytes, counts its memory too. Any payload allocated anew (a size not kept, or none
 * kept of its size) frees what is kept first: new memory is taken only when nothing is kept, so
 * the payloads in flight and those kept together never hold more than the budget granted,
 * under the worker's direct-memory cap.
 *
 * <p>As much is kept as the in-flight budget lets a connection have in flight (at least
 * {@link #KEPT_BYTES}): since new memory is taken only when nothing is kept, keeping more does
 * not raise the connection's peak, while keeping less freed, at each burst of replies, buffers
 * the next burst of WRITEs allocated and zeroed again (with 16 MiB kept under a 22 MiB budget,
 * one 1 MiB WRITE in 28 at qd32: issue #15, docs/memory.md).
 */
final class WritePayloads {
    static final int MIN_SIZE = SizeClasses.MIN_SIZE;
    static final int MAX_SIZE = 1 << 20;
    /** A queue depth of 16 of the largest size: kept buffers come from what was in flight. */
    static final long KEPT_BYTES = 16L << 20;

    private final SizeClasses<BudgetedPayload> classes;
    private final InflightBudget budget;

    /** At most a worker's default direct memory, whatever the budget (tests give it no limit). */
    static final long MAX_KEPT_BYTES = 64L << 20;

    /** For a connection whose payloads hold bytes of {@code budget}, as much as it lets in flight. */
    WritePayloads(InflightBudget budget) {
        this(budget.capacity(), budget);
    }

    /** {@code budgetBytes}: what the connection may have in flight at most. */
    WritePayloads(long budgetBytes, InflightBudget budget) {
        this.budget = budget;
        this.classes = new SizeClasses<>(MAX_SIZE, Math.min(MAX_KEPT_BYTES, Math.max(KEPT_BYTES, budgetBytes)),
                (memory, owner, sizeClass) -> new BudgetedPayload(ByteBufAllocator.DEFAULT, memory, owner, sizeClass,
                        budget));
    }

    /** The budget the payloads' bytes are given back to. */
    InflightBudget budget() {
        return budget;
    }

    /** Whether a payload of {@code size} bytes is kept here once released. */
    static boolean fits(int size) {
        return size >= MIN_SIZE && size <= MAX_SIZE && Integer.bitCount(size) == 1;
    }

    /**
     * A payload of exactly {@code size} bytes ({@link #fits}), empty, one reference, holding no
     * budget yet, its contents stale: a kept one (object and memory), or else a new one,
     * allocated only after everything kept was freed. It comes back at its last release.
     */
    BudgetedPayload take(int size) {
        return classes.take(size, true);
    }

    /** How many bytes are kept now. */
    long keptBytes() {
        return classes.keptBytes();
    }

    /** Frees the kept buffers of the sizes not taken since the last call (every second, on the loop). */
    void trimIfIdle() {
        classes.trimIfIdle();
    }

    /** Frees what is kept; the connection is gone, so buffers given back later are freed too. */
    void close() {
        classes.close();
    }

    void freeKept() {
        classes.freeKept();
    }
}
