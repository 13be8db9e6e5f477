package org.hast.primary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

import org.hast.daemon.process.FatalThreads;
import org.hast.util.IoErrors;
import org.hast.local.LocalComponent;
import org.hast.util.ThreadEnds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * The local component (spec §11.3): a few threads take requests from one bounded queue and
 * run them against the local provider at {@code localoff + offset}, straight from and into
 * the request's direct buffer. Several threads keep several requests in the device's queue,
 * which a single thread (the reference's {@code local_send}) cannot.
 */
final class LocalIo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalIo.class);
    static final int EIO = 5;
    static final int ESHUTDOWN = 108;
    private static final Hio STOP = new Hio(org.hast.proto.HioCommand.UNDEF, 0, 0, null, e -> { });

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
    private final BlockingQueue<Hio> queue;
    private final Consumer<Hio> done;
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param capacity at least the number of request slots, so {@link #submit} never blocks
     * @param done     called on an I/O thread with the request's {@code localError} set
     */
    LocalIo(LocalComponent local, long localOffset, int threadCount, int capacity, Consumer<Hio> done) {
        this.local = local;
        this.localOffset = localOffset;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.done = done;
        for (int i = 0; i < threadCount; i++) {
            threads.add(FatalThreads.start("local-" + i, this::run));
        }
    }

    void submit(Hio hio) {
        if (hio.cmd == org.hast.proto.HioCommand.READ && readInline(hio)) {
            return;
        }
        if (!queue.offer(hio)) {
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
        if (hio.length > INLINE_READ_MAX) {
            return false;
        }
        int[] depth = INLINE_DEPTH.get();
        if (depth[0] > 0) {
            return false;
        }
        ByteBuffer target = hio.data.nioBuffer(hio.data.writerIndex(), hio.length);
        if (!local.readIfCached(target, localOffset + hio.offset)) {
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

    int queued() {
        return queue.size();
    }

    private void run() {
        while (true) {
            Hio hio;
            try {
                hio = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (hio == STOP) {
                return;
            }
            hio.localError = execute(hio);
            done.accept(hio);
        }
    }

    private int execute(Hio hio) {
        long position = localOffset + hio.offset;
        try {
            switch (hio.cmd) {
                case READ -> {
                    ByteBuffer target = hio.data.nioBuffer(hio.data.writerIndex(), hio.length);
                    local.readFully(target, position);
                }
                case WRITE -> local.writeFully(hio.data.nioBuffer(hio.dataIndex, hio.length), position);
                case DELETE -> local.discard(position, hio.length);
                // A skipped flush (the EOPNOTSUPP latch) succeeds (A28).
                case FLUSH -> local.flush();
                default -> {
                    return Hio.EINVAL;
                }
            }
            return 0;
        } catch (IOException e) {
            if (hio.cmd == org.hast.proto.HioCommand.READ) {
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
        while ((left = queue.poll()) != null) {
            left.localError = ESHUTDOWN;
            done.accept(left);
        }
        for (int i = 0; i < threads.size(); i++) {
            queue.offer(STOP);
        }
        for (Thread t : threads) {
            ThreadEnds.awaitBriefly(t);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}
