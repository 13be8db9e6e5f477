package org.hast.primary;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.hast.activemap.RangeLocks;
import org.hast.block.BlockBackend.Completion;
import org.hast.block.InflightBudget;
import org.hast.proto.HioCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * One synchronisation step (spec §7.7): copies a range from the sync source to the other side
 * through the pipeline's request slots, a READ from one component then a WRITE to the other,
 * with the range locked against regular writes and its bytes drawn from the worker's budget.
 */
final class SyncSteps {
    private static final Logger LOG = LoggerFactory.getLogger(SyncSteps.class);
    private static final int ESHUTDOWN = 108;

    private final SyncRanges ranges;
    private final StaleExtents staleLocal;
    private final InflightBudget budget;
    private final Consumer<Hio> submit;
    private final BooleanSupplier closed;
    /** {@code syncmode checksum} steps and online verify (both need the peer's hash messages). */
    private final HashedSteps hashed;
    /** Whether a step from the primary sends only the blocks whose hashes differ. */
    private final BooleanSupplier checksum;

    SyncSteps(SyncRanges ranges, StaleExtents staleLocal, InflightBudget budget, Consumer<Hio> submit,
              BooleanSupplier closed, HashedSteps hashed, BooleanSupplier checksum) {
        this.ranges = ranges;
        this.staleLocal = staleLocal;
        this.budget = budget;
        this.submit = submit;
        this.closed = closed;
        this.hashed = hashed;
        this.checksum = checksum;
    }

    /** See {@link PrimaryPipeline#syncCopy}. */
    void copy(long offset, int length, boolean passFromSecondary, Completion done) throws InterruptedException {
        boolean fromSecondary = passFromSecondary || staleLocal.anyIn(offset, length);
        if (!lock(RangeLocks.Kind.SYNC, offset, length)) {
            done.done(ESHUTDOWN);
            return;
        }
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
        if (!fromSecondary && checksum.getAsBoolean()) {
            hashed.copyDiffering(offset, length, buffer, errno -> copyDone(offset, length, buffer, errno, done));
            return;
        }
        Hio read = new Hio(HioCommand.READ, offset, length, buffer.slice(0, length).writerIndex(0), readErr -> {
            if (readErr != 0) {
                LOG.error("Unable to read synchronization data: errno {}.", readErr);
                copyDone(offset, length, buffer, readErr, done);
                return;
            }
            buffer.writerIndex(length);
            Hio write = new Hio(HioCommand.WRITE, offset, length, buffer.retainedSlice(0, length), writeErr -> {
                if (writeErr != 0) {
                    LOG.error("Unable to write synchronization data: errno {}.", writeErr);
                }
                copyDone(offset, length, buffer, writeErr, done);
            });
            write.sync = true;
            write.toLocal = fromSecondary;
            write.toRemote = !fromSecondary;
            submit.accept(write);
        });
        read.sync = true;
        read.toLocal = !fromSecondary;
        read.toRemote = fromSecondary;
        submit.accept(read);
    }

    /**
     * See {@link PrimaryPipeline#verifyStep}: the range is locked against regular writes and
     * synchronisation steps, and {@code done} runs before it is unlocked.
     */
    void verify(long offset, int length, VerifyResult done) throws InterruptedException {
        if (!lock(RangeLocks.Kind.VERIFY, offset, length)) {
            done.verified(ESHUTDOWN, 0);
            return;
        }
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
        hashed.compare(offset, length, buffer, (errno, mismatches) -> {
            try {
                done.verified(errno, mismatches);
            } finally {
                stepDone(RangeLocks.Kind.VERIFY, offset, length, buffer);
            }
        });
    }

    /** Draws the step's bytes from the budget and locks its range; false once closed. */
    private boolean lock(RangeLocks.Kind kind, long offset, int length) throws InterruptedException {
        // Before the range lock: writes parked on this range hold budget, and must not wait
        // for a step that itself waits for budget.
        budget.acquire(length);
        boolean locked = false;
        try {
            locked = ranges.lockForStep(kind, offset, length, closed);
        } finally {
            if (!locked) {
                budget.release(length);
            }
        }
        return locked;
    }

    private void copyDone(long offset, int length, ByteBuf buffer, int errno, Completion done) {
        stepDone(RangeLocks.Kind.SYNC, offset, length, buffer);
        done.done(errno);
    }

    private void stepDone(RangeLocks.Kind kind, long offset, int length, ByteBuf buffer) {
        buffer.release();
        budget.release(length);
        for (Hio parked : ranges.unlockStep(kind, offset, length)) {
            submit.accept(parked);
        }
    }
}
