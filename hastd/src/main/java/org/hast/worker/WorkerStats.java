package org.hast.worker;

import java.util.concurrent.atomic.LongAdder;

import org.hast.nv.NvWriter;

/** A worker's statistics (spec §11.6), in the order the status reply carries them. */
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
}
