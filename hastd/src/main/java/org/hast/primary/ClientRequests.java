package org.hast.primary;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.hast.block.BlockBackend.Completion;
import org.hast.proto.HioCommand;
import org.hast.role.WorkerStats;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The client's side of the pipeline ({@link org.hast.block.BlockBackend}'s calls): counts each
 * request and cuts it into HAST requests of at most {@link PrimaryPipeline#MAX_REQUEST_BYTES},
 * with Hios from the pool. A write allocates no Hio, no completion, no splitter state and no
 * slice of its data (its pieces' completion is pooled, {@link SplitCompletions}).
 */
final class ClientRequests {
    private static final int ESHUTDOWN = 108;
    /** DELETE carries no payload and has no MAXPHYS limit; still cut so lengths stay ints. */
    private static final int MAX_DELETE_BYTES = 1 << 30;
    /** Client requests cut in pieces at once without allocating: qd32 and more of 1 MiB writes. */
    private static final int SPLIT_COMPLETIONS = 64;
    /** What WRITE_ZEROES writes: one read-only buffer for the life of the JVM, never released. */
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(PrimaryPipeline.MAX_REQUEST_BYTES)
                    .writeZero(PrimaryPipeline.MAX_REQUEST_BYTES).asReadOnly());

    private final WorkerStats stats;
    private final HioPool pool;
    private final Consumer<Hio> submit;
    private final BooleanSupplier closed;
    private final SplitCompletions shares = new SplitCompletions(SPLIT_COMPLETIONS);

    ClientRequests(WorkerStats stats, HioPool pool, Consumer<Hio> submit, BooleanSupplier closed) {
        this.stats = stats;
        this.pool = pool;
        this.submit = submit;
        this.closed = closed;
    }

    void read(long offset, int length, ByteBuf into, Completion done) {
        stats.read.increment();
        stats.readBytes.add(length);
        int base = into.writerIndex();
        split(offset, length, PrimaryPipeline.MAX_REQUEST_BYTES, errno -> {
            if (errno == 0) {
                into.writerIndex(base + length);
            }
            done.done(errno);
        }, (chunkOffset, chunkLength, piece) -> pool.acquire(HioCommand.READ, chunkOffset, chunkLength,
                into.slice(base + (int) (chunkOffset - offset), chunkLength).writerIndex(0), piece));
    }

    void write(long offset, ByteBuf data, boolean fua, Completion done) {
        stats.write.increment();
        int base = data.readerIndex();
        int length = data.readableBytes();
        stats.writeBytes.add(length);
        Completion whole = fua ? thenFlush(done) : done;
        if (length <= PrimaryPipeline.MAX_REQUEST_BYTES && !closed.getAsBoolean()) {
            // Our own reference to the caller's buffer, not a slice: the Hio keeps where the bytes are.
            submit.accept(pool.acquire(HioCommand.WRITE, offset, length, data.retain(), whole));
            return;
        }
        if (closed.getAsBoolean()) {
            whole.done(ESHUTDOWN);
            return;
        }
        // Cut without slices or a factory lambda (issue #15): each piece holds its own reference
        // to the whole buffer and where its bytes are, as a write of one piece does.
        int max = PrimaryPipeline.MAX_REQUEST_BYTES;
        Completion share = shares.of(whole, RequestSplitter.pieces(length, max));
        for (int at = 0; at < length; at += max) {
            Hio hio = pool.acquire(HioCommand.WRITE, offset + at, Math.min(max, length - at), data.retain(), share);
            hio.dataIndex = base + at;
            submit.accept(hio);
        }
    }

    void flush(Completion done) {
        stats.flush.increment();
        submit.accept(pool.acquire(HioCommand.FLUSH, 0, 0, null, done));
    }

    void trim(long offset, long length, Completion done) {
        stats.delete.increment();
        stats.deleteBytes.add(length);
        split(offset, length, MAX_DELETE_BYTES, done,
                (chunkOffset, chunkLength, piece) -> pool.acquire(HioCommand.DELETE, chunkOffset, chunkLength,
                        null, piece));
    }

    /**
     * Zeros are written, never punched: a discard does not promise zeros on every device, and
     * an all-zero payload costs 4 bytes on the wire with {@code hole} compression.
     */
    void writeZeroes(long offset, long length, Completion done) {
        stats.write.increment();
        stats.writeBytes.add(length);
        split(offset, length, PrimaryPipeline.MAX_REQUEST_BYTES, done,
                (chunkOffset, chunkLength, piece) -> pool.acquire(HioCommand.WRITE, chunkOffset, chunkLength,
                        ZEROS.slice(0, chunkLength), piece));
    }

    private Completion thenFlush(Completion done) {
        return errno -> {
            if (errno != 0) {
                done.done(errno);
            } else {
                submit.accept(pool.acquire(HioCommand.FLUSH, 0, 0, null, done));
            }
        };
    }

    /** Cuts a client request into HAST requests; {@code whole} runs once all are answered. */
    private void split(long offset, long length, int max, Completion whole, RequestSplitter.ChunkFactory factory) {
        if (closed.getAsBoolean()) {
            whole.done(ESHUTDOWN);
        } else {
            RequestSplitter.split(offset, length, max, whole, factory, submit, shares);
        }
    }
}
