package org.hast.primary;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.hast.block.BlockBackend.Completion;

/**
 * The completions shared by the pieces of a client request cut into several HAST requests
 * ({@link RequestSplitter}), made once and reused: each 1 MiB write made a completion lambda
 * and two {@code AtomicInteger}s (issue #15). When all are in use a new one is made and left to
 * the garbage collector. Short critical sections, any thread.
 */
final class SplitCompletions {
    private final Share[] idle;
    private int idleCount;

    SplitCompletions(int size) {
        idle = new Share[size];
        for (int i = 0; i < size; i++) {
            idle[i] = new Share(this);
        }
        idleCount = size;
    }

    /** A completion that runs {@code whole} with the first error once {@code pieces} pieces are done. */
    Completion of(Completion whole, int pieces) {
        Share share = takeIdle();
        if (share == null) {
            share = new Share(null);
        }
        share.whole = whole;
        share.firstError = 0;
        share.left = pieces;
        return share;
    }

    synchronized int idle() {
        return idleCount;
    }

    private synchronized Share takeIdle() {
        if (idleCount == 0) {
            return null;
        }
        Share share = idle[--idleCount];
        idle[idleCount] = null;
        return share;
    }

    private synchronized void release(Share share) {
        idle[idleCount++] = share;
    }

    private static final class Share implements Completion {
        private static final AtomicIntegerFieldUpdater<Share> LEFT =
                AtomicIntegerFieldUpdater.newUpdater(Share.class, "left");
        private static final AtomicIntegerFieldUpdater<Share> FIRST_ERROR =
                AtomicIntegerFieldUpdater.newUpdater(Share.class, "firstError");

        /** The pool it returns to, or null. */
        private final SplitCompletions pool;
        private Completion whole;
        private volatile int left;
        private volatile int firstError;

        Share(SplitCompletions pool) {
            this.pool = pool;
        }

        @Override
        public void done(int errno) {
            if (errno != 0) {
                FIRST_ERROR.compareAndSet(this, 0, errno);
            }
            if (LEFT.decrementAndGet(this) != 0) {
                return;
            }
            // The last piece: read everything before the share can be handed out again.
            Completion w = whole;
            int error = firstError;
            whole = null;
            if (pool != null) {
                pool.release(this);
            }
            w.done(error);
        }
    }
}
