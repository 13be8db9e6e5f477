package org.hast.primary;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.daemon.process.FatalThreads;
import org.hast.integrity.BlockHashes;
import org.hast.nv.NvWriter;
import org.hast.util.HumanNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.sync.SyncRate;

/**
 * Online verify ({@code hastctl verify}, docs/integrity.md): walks the whole data area in
 * steps, each compared by block hashes on both nodes under a verify range lock, which excludes
 * regular writes and synchronisation steps: a concurrent write or copy is ordered before or
 * after the comparison and never shows as a difference. Blocks of extents the bitmap still has
 * to synchronise when the comparison is done (the range still locked, so no copy of it is half
 * done) are expected to differ and are not reported. With repair, differing blocks are marked
 * for synchronisation from the primary, which the sync thread then copies. Paced by the resource's {@code syncrate} and at most
 * {@link #WINDOW} steps in flight, so it yields to application I/O; stopped on request or when
 * the link goes.
 */
public final class VerifyLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyLoop.class);
    static final int STEP = 128 * 1024;
    /** Steps in flight: enough to hide one round trip, few enough to leave the link to writes. */
    static final int WINDOW = 4;
    /** Differing blocks kept for status; the log has every one. */
    static final int REPORTED = 64;
    private static final int ENOTCONN = 107;
    private static final int ESHUTDOWN = 108;
    private static final int EOPNOTSUPP = 95;

    /** What verify needs of the primary; {@link PrimaryPipeline} and its dirty map in the daemon. */
    public interface Target {
        long size();

        boolean peerHashes();

        void verifyStep(long offset, int length, VerifyResult done) throws InterruptedException;

        /** The bitmap already has this offset's extent to synchronise. */
        boolean syncPending(long offset);

        /** Marks a range for synchronisation from the primary and wakes the sync thread. */
        void repair(long offset, int length);
    }

    public enum State { IDLE, RUNNING, COMPLETE, STOPPED, FAILED }

    private final Target target;
    /** Replaced by a reload; read by the verify thread before every step. */
    private volatile SyncRate rate;
    private final Object lock = new Object();
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile State state = State.IDLE;
    private volatile boolean repair;
    private volatile long startedNanos;
    private volatile long endedNanos;
    private final AtomicLong verified = new AtomicLong();
    private final AtomicLong mismatches = new AtomicLong();
    private final List<Long> reported = new ArrayList<>();

    public VerifyLoop(Target target, SyncRate rate) {
        this.target = target;
        this.rate = rate;
    }

    /** {@code syncrate} changed (SIGHUP): the next step is paced by {@code pacing}. */
    public void setRate(SyncRate pacing) {
        this.rate = pacing;
    }

    /**
     * Starts a pass; the reason it cannot, or null. Refused while one runs and when the peer
     * did not negotiate the hash messages.
     */
    public String start(boolean repairBlocks) {
        synchronized (lock) {
            if (state == State.RUNNING) {
                return "verify is already running";
            }
            if (!target.peerHashes()) {
                return "the secondary does not support verify (not connected, a FreeBSD peer, or integrity off there)";
            }
            stopRequested = false;
            repair = repairBlocks;
            verified.set(0);
            mismatches.set(0);
            synchronized (reported) {
                reported.clear();
            }
            startedNanos = System.nanoTime();
            endedNanos = 0;
            state = State.RUNNING;
            LOG.info("Verify started{}. {}B to compare.", repairBlocks ? " (repairing)" : "",
                    HumanNumber.humanize(target.size()));
            thread = FatalThreads.start("verify", this::run);
            return null;
        }
    }

    /** Stops the pass in progress; false when none runs. */
    public boolean stop() {
        synchronized (lock) {
            if (state != State.RUNNING) {
                return false;
            }
            stopRequested = true;
            return true;
        }
    }

    public State state() {
        return state;
    }

    public long mismatches() {
        return mismatches.get();
    }

    /** The first {@link #REPORTED} differing block offsets of the last pass, in order. */
    public List<Long> reportedBlocks() {
        synchronized (reported) {
            return List.copyOf(reported);
        }
    }

    private void run() {
        Semaphore window = new Semaphore(WINDOW);
        AtomicInteger failure = new AtomicInteger();
        long size = target.size();
        State end = State.COMPLETE;
        try {
            for (long offset = 0; offset < size; offset += STEP) {
                if (stopRequested) {
                    end = State.STOPPED;
                    break;
                }
                if (failure.get() != 0) {
                    end = State.FAILED;
                    break;
                }
                int length = (int) Math.min(STEP, size - offset);
                rate.acquire(length);
                window.acquire();
                long at = offset;
                target.verifyStep(at, length, (errno, differing) -> {
                    if (errno != 0) {
                        failure.compareAndSet(0, errno);
                    } else {
                        found(at, length, differing);
                        verified.addAndGet(length);
                    }
                    window.release();
                });
            }
            window.acquire(WINDOW);
            if (end == State.COMPLETE && failure.get() != 0) {
                end = State.FAILED;
            }
        } catch (InterruptedException e) {
            end = State.STOPPED;
        }
        finish(end, failure.get());
    }

    private void found(long offset, int length, long differing) {
        for (int b = 0; differing != 0 && b < BlockHashes.MAX_BLOCKS; b++) {
            if ((differing & (1L << b)) == 0) {
                continue;
            }
            differing &= ~(1L << b);
            long block = offset + (long) b * BlockHashes.BLOCK;
            if (target.syncPending(block)) {
                continue; // not copied yet: the sync will, so the difference is expected
            }
            int blockLength = (int) Math.min(BlockHashes.BLOCK, offset + length - block);
            mismatches.incrementAndGet();
            synchronized (reported) {
                if (reported.size() < REPORTED) {
                    reported.add(block);
                }
            }
            LOG.warn("Verify: block at offset {} ({} bytes) differs between the nodes{}.", block, blockLength,
                    repair ? "; marked for synchronisation from the primary" : "");
            if (repair) {
                target.repair(block, blockLength);
            }
        }
    }

    private void finish(State end, int errno) {
        endedNanos = System.nanoTime();
        double seconds = Math.max(1e-3, (endedNanos - startedNanos) / 1e9);
        long bytes = verified.get();
        String summary = HumanNumber.humanize(bytes) + "B verified in " + String.format("%.1fs", seconds) + " ("
                + HumanNumber.humanize((long) (bytes / seconds)) + "B/sec), " + mismatches.get()
                + " blocks differ";
        switch (end) {
            case COMPLETE -> LOG.info("Verify complete. {}.", summary);
            case STOPPED -> LOG.info("Verify stopped. {}.", summary);
            default -> LOG.error("Verify failed (errno {}{}). {}.", errno,
                    errno == ENOTCONN || errno == ESHUTDOWN ? ", the secondary is gone"
                            : errno == EOPNOTSUPP ? ", the secondary does not support it" : "", summary);
        }
        state = end;
    }

    /** The pass's state as plain fields of the worker's status reply (names prefixed {@code verify_}). */
    public void status(NvWriter reply) {
        State s = state;
        reply.addString("verify_state", s.name().toLowerCase());
        if (s == State.IDLE) {
            return;
        }
        long end = s == State.RUNNING || endedNanos == 0 ? System.nanoTime() : endedNanos;
        double seconds = Math.max(1e-3, (end - startedNanos) / 1e9);
        reply.addUint8("verify_repair", repair ? 1 : 0);
        reply.addUint64("verify_done", verified.get());
        reply.addUint64("verify_total", target.size());
        reply.addUint64("verify_rate", (long) (verified.get() / seconds));
        reply.addUint64("verify_mismatches", mismatches.get());
        List<Long> blocks = reportedBlocks();
        if (!blocks.isEmpty()) {
            long[] offsets = blocks.stream().mapToLong(Long::longValue).toArray();
            reply.addUint64Array("verify_blocks", offsets);
        }
    }

    @Override
    public void close() {
        stopRequested = true;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
