package org.hast.primary;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

import org.hast.activemap.RangeLocks;
import org.hast.block.BlockBackend.Completion;
import org.hast.block.InflightBudget;
import org.hast.codec.Compression;
import org.hast.codec.Hole;
import org.hast.codec.PayloadCodec;
import org.hast.proto.Capabilities;
import org.hast.proto.HioCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * One synchronisation step (spec §7.7): copies a range from the sync source to the other side
 * through the pipeline's request slots, a READ from one component then a WRITE to the other,
 * with the range locked against regular writes and its bytes drawn from the worker's budget.
 * With a secondary of ours a step is up to 1 MiB ({@link #maxCopyBytes}); its all-zero
 * 128 KiB pieces then travel as WRITEs of their own, so {@code hole} compression still sends
 * them as 4 bytes each, as it would the reference's 128 KiB steps.
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
    /** The extensions the connected peer negotiated ({@link Capabilities}). */
    private final IntPredicate peerHas;
    /** The sender's codec, read for its compression only. */
    private final PayloadCodec sendCodec;

    SyncSteps(SyncRanges ranges, StaleExtents staleLocal, InflightBudget budget, Consumer<Hio> submit,
              BooleanSupplier closed, HashedSteps hashed, BooleanSupplier checksum, IntPredicate peerHas,
              PayloadCodec sendCodec) {
        this.ranges = ranges;
        this.staleLocal = staleLocal;
        this.budget = budget;
        this.submit = submit;
        this.closed = closed;
        this.hashed = hashed;
        this.checksum = checksum;
        this.peerHas = peerHas;
        this.sendCodec = sendCodec;
    }

    /**
     * The longest step now: 1 MiB with a secondary of ours ({@link Capabilities#LARGE_REQUESTS}),
     * an eighth of the requests, and of their fixed costs on both nodes, for the same bytes.
     * The reference's 128 KiB otherwise, and where a step must fit 128 KiB: checksum
     * synchronisation (one bit per 4 KiB block of a step, in a long) and {@code lzf} (the
     * sender compresses into a 128 KiB scratch buffer).
     */
    int maxCopyBytes() {
        boolean large = peerHas.test(Capabilities.LARGE_REQUESTS) && !checksum.getAsBoolean()
                && sendCodec.compression() != Compression.LZF;
        return large ? Capabilities.LARGE_REQUEST_BYTES : PrimaryPipeline.MAX_REQUEST_BYTES;
    }

    /** See {@link PrimaryPipeline#syncCopy}. */
    void copy(long offset, int length, boolean passFromSecondary, Completion done) throws InterruptedException {
        boolean fromSecondary = passFromSecondary || staleLocal.anyIn(offset, length);
        if (!lock(RangeLocks.Kind.SYNC, offset, length)) {
            done.done(ESHUTDOWN);
            return;
        }
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
        // Checksum steps compare one bit per block in a long: never longer than 128 KiB (a pass
        // cut for large steps may still be running when a reload turns checksum on).
        if (!fromSecondary && checksum.getAsBoolean() && length <= PrimaryPipeline.MAX_REQUEST_BYTES) {
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
            Completion written = writeErr -> {
                if (writeErr != 0) {
                    LOG.error("Unable to write synchronization data: errno {}.", writeErr);
                }
                copyDone(offset, length, buffer, writeErr, done);
            };
            if (fromSecondary || length <= PrimaryPipeline.MAX_REQUEST_BYTES
                    || sendCodec.compression() == Compression.NONE) {
                write(offset, buffer, 0, length, fromSecondary, written);
            } else {
                writeZeroRunsApart(offset, length, buffer, written);
            }
        });
        read.sync = true;
        read.toLocal = !fromSecondary;
        read.toRemote = fromSecondary;
        submit.accept(read);
    }

    private void write(long offset, ByteBuf buffer, int from, int length, boolean toLocal, Completion done) {
        Hio write = new Hio(HioCommand.WRITE, offset + from, length, buffer.retainedSlice(from, length), done::done);
        write.sync = true;
        write.toLocal = toLocal;
        write.toRemote = !toLocal;
        submit.accept(write);
    }

    /**
     * Sends {@code buffer} to the secondary as runs of 128 KiB pieces that are all zero or all
     * not, one WRITE per run: random data goes as one request, a piece of zeros as its own.
     */
    private void writeZeroRunsApart(long offset, int length, ByteBuf buffer, Completion done) {
        int runs = 0;
        for (int at = 0; at < length; at = runEnd(buffer, at, length)) {
            runs++;
        }
        if (runs == 1) {
            write(offset, buffer, 0, length, false, done);
            return;
        }
        AtomicInteger pending = new AtomicInteger(runs);
        AtomicInteger firstError = new AtomicInteger();
        Completion one = errno -> {
            if (errno != 0) {
                firstError.compareAndSet(0, errno);
            }
            if (pending.decrementAndGet() == 0) {
                done.done(firstError.get());
            }
        };
        int end;
        for (int at = 0; at < length; at = end) {
            end = runEnd(buffer, at, length);
            write(offset, buffer, at, end - at, false, one);
        }
    }

    /** Where the run of pieces like the one at {@code from} (all zero, or not) ends. */
    private static int runEnd(ByteBuf buffer, int from, int length) {
        int piece = PrimaryPipeline.MAX_REQUEST_BYTES;
        boolean zero = zeroPiece(buffer, from, Math.min(piece, length - from));
        int at = from + piece;
        while (at < length && zeroPiece(buffer, at, Math.min(piece, length - at)) == zero) {
            at += piece;
        }
        return Math.min(at, length);
    }

    private static boolean zeroPiece(ByteBuf buffer, int from, int length) {
        return Hole.isAllZero(buffer.nioBuffer(from, length));
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
