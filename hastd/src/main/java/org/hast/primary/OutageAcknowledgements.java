package org.hast.primary;

import org.hast.daemon.process.FatalThreads;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.hast.block.BlockBackend.Completion;
import org.hast.util.ThreadEnds;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledgements that must wait for a metadata write: the first write acknowledged during an
 * outage bumps {@code localcnt} on disk first (spec §8). This thread does that write and then
 * answers, never the thread that completed the request: that may be the link's event loop
 * failing what was in flight after a disconnect, or a local I/O thread, and neither may wait
 * for an fsync. Only acknowledgements arriving while the bump is due come here, so the queue
 * holds at most what clients sent during one metadata write. It keeps the client's answer, not
 * the request: the request's Hio goes back to the pool as soon as it is done.
 */
final class OutageAcknowledgements implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutageAcknowledgements.class);
    private static final int ESHUTDOWN = 108;

    private final PrimaryPipeline.Counters counters;
    private final BlockingQueue<Completion> waiting = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    OutageAcknowledgements(PrimaryPipeline.Counters counters) {
        this.counters = counters;
        this.thread = FatalThreads.start("outage-ack", this::run);
    }

    /**
     * A successful write is being acknowledged while the link is down: true when its answer
     * was taken over because the counter bump is due; false to answer it at once.
     */
    boolean takeOver(Completion answer) {
        if (!counters.outageBumpPending()) {
            return false;
        }
        waiting.add(answer);
        if (closed && waiting.remove(answer)) {
            answer.done(ESHUTDOWN);
        }
        return true;
    }

    private void run() {
        while (!closed) {
            Completion answer;
            try {
                answer = waiting.take();
            } catch (InterruptedException e) {
                return;
            }
            int errno = 0;
            try {
                counters.acknowledgingWhileDisconnected();
            } catch (IOException e) {
                LOG.error("Unable to store the outage counter: {}.", e.getMessage());
                errno = LocalIo.EIO;
            }
            answer.done(errno);
        }
    }

    /** Stops; what still waits is answered with ESHUTDOWN. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        ThreadEnds.awaitBriefly(thread);
        Completion left;
        while ((left = waiting.poll()) != null) {
            left.done(ESHUTDOWN);
        }
    }
}
