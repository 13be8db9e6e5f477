package org.hast.primary;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.hast.daemon.process.FatalThreads;
import org.hast.util.IoErrors;
import org.hast.local.FlushCadence;
import org.hast.local.LocalComponent;
import org.hast.proto.HioCommand;
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * The local component (spec §11.3): a few threads take requests from one bounded queue and
 * run them against the local provider at {@code localoff + offset}, straight from and into
 * the request's direct buffer. Several threads keep several requests in the device's queue,
 * which a single thread (the reference's {@code local_send}) cannot.
 *
 * <p>The hand-off allocates nothing (issue #15): a ring under this object's monitor, waited on
 * with {@code wait}/{@code notify}. A blocking queue's {@code take} made a condition node each
 * time a thread parked, most requests at qd32.
 */
final class LocalIo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalIo.class);
    static final int EIO = 5;
    static final int ESHUTDOWN = 108;
    private static final Hio STOP = new Hio(HioCommand.UNDEF, 0, 0, null, e -> { });

    /** Larger reads are copied on a {@code local-N} thread, in parallel with the loop's work. */
    static final int INLINE_READ_MAX = 64 * 1024;
    private static final FastThreadLocal<int[]> INLINE_DEPTH = new FastThreadLocal<>() {
        @Override
        protected int[] initialValue() {
            return new int[1];
        }
    };

    private final LocalComponent local;
    private final long localOffset;
    private final Consumer<Hio> done;
    /** Whether the client flushes after each few writes, whose pages are then written back at once. */
    private final FlushCadence cadence = new FlushCadence();
    private final List<Thread> threads = new ArrayList<>();
    /** The queue: a ring of {@code ring.length} slots under this object's monitor. */
    private final Hio[] ring;
    private int head;
    private int count;

    /**
     * @param capacity at least the number of request slots, so {@link #submit} never blocks
     * @param done     called on an I/O thread with the request's {@code localError} set
     */
    LocalIo(LocalComponent local, long localOffset, int threadCount, int capacity, Consumer<Hio> done) {
        this.local = local;
        this.localOffset = localOffset;
        this.ring = new Hio[capacity];
        this.done = done;
        for (int i = 0; i < threadCount; i++) {
            threads.add(FatalThreads.start("local-" + i, this::run));
        }
    }

    void submit(Hio hio) {
        if (hio.cmd == HioCommand.READ && readInline(hio)) {
            return;
        }
        if (!offer(hio)) {
            // Cannot happen while capacity >= request slots; fail rather than block a caller.
            hio.localError = EIO;
            done.accept(hio);
        }
    }

    /**
     * A small READ whose pages are all cached is served on the caller's thread (often the
     * export's event loop): the read cannot wait for the device, and the hand-off to a
     * {@code local-N} thread and back costs more than the copy. Not while another inline
     * completion runs on this thread: its reply may start a waiting request, and that one goes
     * through the queue instead of deepening the stack.
     */
    private boolean readInline(Hio hio) {
        // Synchronisation and verify steps keep their threading: their reads complete elsewhere.
        if (hio.sync || hio.length > INLINE_READ_MAX) {
            return false;
        }
        int[] depth = INLINE_DEPTH.get();
        if (depth[0] > 0) {
            return false;
        }
        if (!local.readIfCached(hio.data, hio.data.writerIndex(), hio.length, localOffset + hio.offset)) {
            return false;
        }
        hio.localError = 0;
        depth[0]++;
        try {
            done.accept(hio);
        } finally {
            depth[0]--;
        }
        return true;
    }

    private synchronized boolean offer(Hio hio) {
        if (count == ring.length) {
            return false;
        }
        ring[(head + count) % ring.length] = hio;
        count++;
        notify();
        return true;
    }

    private synchronized Hio poll() {
        if (count == 0) {
            return null;
        }
        Hio hio = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        count--;
        return hio;
    }

    /** A monitor's wait makes no object, where a blocking queue's condition made a node per park. */
    private synchronized Hio take() throws InterruptedException {
        while (count == 0) {
            wait();
        }
        return poll();
    }

    synchronized int queued() {
        return count;
    }

    private void run() {
        while (true) {
            Hio hio;
            try {
                hio = take();
            } catch (InterruptedException e) {
                return;
            }
            if (hio == STOP) {
                return;
            }
            hio.localError = execute(hio);
            boolean writeBack = hio.cmd == HioCommand.WRITE && hio.localError == 0 && !hio.sync && cadence.written();
            // Read before the completion hands the Hio back for reuse.
            long position = localOffset + hio.offset;
            int length = hio.length;
            done.accept(hio);
            if (writeBack) {
                // After the answer, off its path: the FLUSH that follows finds the page written.
                local.startWriteBack(position, length);
            }
        }
    }

    private int execute(Hio hio) {
        long position = localOffset + hio.offset;
        try {
            switch (hio.cmd) {
                case READ -> local.readFully(hio.data, hio.data.writerIndex(), hio.length, position);
                case WRITE -> local.writeFully(hio.data, hio.dataIndex, hio.length, position);
                case DELETE -> local.discard(position, hio.length);
                // A skipped flush (the EOPNOTSUPP latch) succeeds (A28).
                case FLUSH -> {
                    if (!hio.sync) {
                        cadence.flushed(); // the client's cadence: synchronisation's writes are not counted either
                    }
                    local.flush();
                }
                default -> {
                    return Hio.EINVAL;
                }
            }
            return 0;
        } catch (IOException e) {
            if (hio.cmd == HioCommand.READ) {
                LOG.error("Local request failed ({}): {}, trying remote node.", hio, IoErrors.describe(e));
            } else {
                LOG.error("Local request failed ({}): {}.", hio, IoErrors.describe(e));
            }
            return EIO;
        }
    }

    @Override
    public void close() {
        // Never interrupt: an interrupt during FileChannel I/O closes the channel.
        Hio left;
        while ((left = poll()) != null) {
            left.localError = ESHUTDOWN;
            done.accept(left);
        }
        for (int i = 0; i < threads.size(); i++) {
            offer(STOP);
        }
        for (Thread t : threads) {
            ThreadEnds.awaitBriefly(t);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}
