package org.hast.role;

import java.util.concurrent.atomic.LongAdder;

import org.hast.nv.NvWriter;

/**
 * A worker's statistics (spec §11.6), in the order the status reply carries them, and the
 * extra counters of the observability fields ({@link #addExtendedTo}).
 */
public final class WorkerStats {
    public final LongAdder read = new LongAdder();
    public final LongAdder write = new LongAdder();
    public final LongAdder delete = new LongAdder();
    public final LongAdder flush = new LongAdder();
    public final LongAdder activemapUpdate = new LongAdder();
    public final LongAdder readError = new LongAdder();
    public final LongAdder writeError = new LongAdder();
    public final LongAdder deleteError = new LongAdder();
    public final LongAdder flushError = new LongAdder();
    public final LongAdder readBytes = new LongAdder();
    public final LongAdder writeBytes = new LongAdder();
    public final LongAdder deleteBytes = new LongAdder();
    /** From a request's admission until the local component finished it. */
    public final LatencyHistogram localLatency = new LatencyHistogram();
    /** From a request's admission until the secondary answered it. */
    public final LatencyHistogram remoteLatency = new LatencyHistogram();

    public void addTo(NvWriter reply) {
        reply.addUint64("stat_read", read.sum());
        reply.addUint64("stat_write", write.sum());
        reply.addUint64("stat_delete", delete.sum());
        reply.addUint64("stat_flush", flush.sum());
        reply.addUint64("stat_activemap_update", activemapUpdate.sum());
        reply.addUint64("stat_read_error", readError.sum());
        reply.addUint64("stat_write_error", writeError.sum());
        reply.addUint64("stat_delete_error", deleteError.sum());
        reply.addUint64("stat_flush_error", flushError.sum());
    }

    /** Our {@code x_} fields: not in the reference's reply, passed on only to who asks for them. */
    public void addExtendedTo(NvWriter reply) {
        reply.addUint64("x_read_bytes", readBytes.sum());
        reply.addUint64("x_write_bytes", writeBytes.sum());
        reply.addUint64("x_delete_bytes", deleteBytes.sum());
        localLatency.addTo(reply, "x_local_latency");
        remoteLatency.addTo(reply, "x_remote_latency");
    }

    /** All local errors so far: the worker's watch reports an increase as an I/O error event. */
    public long localErrors() {
        return readError.sum() + writeError.sum() + deleteError.sum() + flushError.sum();
    }
}
