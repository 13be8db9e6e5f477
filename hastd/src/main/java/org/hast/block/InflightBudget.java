package org.hast.block;

import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The worker's one budget for request bytes in memory (issue #20): WRITE payloads from the
 * moment their header is read until the reply is written, READ data from allocation until the
 * reply left the socket, synchronisation steps. Every client of the export, the kernel bridge
 * and the sync draw on the same counter, so what is in flight is bounded for all of them
 * together, not per client.
 *
 * <p>Who cannot have the bytes now waits in one first-come first-served queue and is called
 * back when they are set aside for it; nobody is failed and nothing blocks an event loop (a
 * channel stops reading while it waits). Fairness: once someone waits, later requests queue
 * behind it, so a stream of small requests cannot starve a large one. A request larger than the
 * main lane is admitted when nothing else holds any of it, so it still progresses.
 *
 * <p>An eighth of the budget is a fast lane for small requests ({@link #tryAcquireSmall}): a
 * 4 KiB request of a virtual machine does not queue behind bulk clients' 32 MiB writes. It
 * never queues (a small request that finds it full takes the main lane's queue) and the main
 * lane never counts it, so it cannot starve anyone either.
 *
 * <p>A counter and a queue of waiters, who are long-lived objects (one per connection): nothing
 * is allocated per request.
 */
public final class InflightBudget {
    /**
     * A buffer that holds budget bytes itself and gives them back when its memory is freed, not
     * when its request is answered: an answer before the payload is gone needs no more bytes.
     */
    public interface HoldingBuffer {
    }

    /** Whether {@code buffer}, or the buffer it is a view of, is a {@link HoldingBuffer}. */
    public static boolean heldByItsBuffer(ByteBuf buffer) {
        for (ByteBuf b = buffer; b != null; b = b.unwrap()) {
            if (b instanceof HoldingBuffer) {
                return true;
            }
        }
        return false;
    }

    /** Someone queued for bytes; {@link #budgetGranted} runs on the releasing thread. */
    public interface Waiter {
        /** How many bytes this waiter asked for (constant while it waits). */
        long wantedBytes();

        /** The bytes are now held by this waiter, who must release them eventually. */
        void budgetGranted();
    }

    /**
     * 35 % of direct memory (22 MiB of 64): enough in flight for a qd32 client of 1 MiB writes
     * on this hardware, and the primary's resident set stays under 128 MiB in every mode; 75 %
     * (48 MiB) put its peak at 127-145 MiB for no measurable throughput (docs/memory.md, "The
     * budget's share"). The rest is left for what is not counted (buffers being filled, pools).
     */
    private static final int SHARE_PERCENT = 35;
    /** System property: the budget's share of direct memory in percent, for A/B runs (docs/memory.md). */
    static final String SHARE_PROPERTY = "hast.inflight.sharePercent";

    private final long capacity;
    /** The fast lane's share of {@link #capacity}, and the largest request it takes. */
    private final long smallLane;
    private final long smallMax;
    /** Bytes held through the main lane and through the fast lane. */
    private long used;
    private long usedSmall;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    public InflightBudget(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("budget must be positive: " + capacityBytes);
        }
        this.capacity = capacityBytes;
        this.smallLane = capacityBytes / 8;
        this.smallMax = capacityBytes / 64;
    }

    private static final class Shared {
        static final InflightBudget INSTANCE = new InflightBudget(
                PlatformDependent.maxDirectMemory() / 100 * sharePercent());
    }

    static int sharePercent() {
        int percent = Integer.getInteger(SHARE_PROPERTY, SHARE_PERCENT);
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException(SHARE_PROPERTY + " must be 1 to 100, not " + percent);
        }
        return percent;
    }

    /**
     * This JVM's budget: a worker serves one resource, so this is the worker's. Derived from the
     * JVM's direct-memory limit ({@code -XX:MaxDirectMemorySize}, which netty also obeys), where
     * every payload lives.
     */
    public static InflightBudget shared() {
        return Shared.INSTANCE;
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes held, both lanes. */
    public synchronized long used() {
        return used + usedSmall;
    }

    public synchronized int waiting() {
        return waiting.size();
    }

    /**
     * Takes {@code bytes} now and returns true, or queues {@code waiter} (who then hears
     * {@link Waiter#budgetGranted}) and returns false. A waiter waits for one thing at a time.
     */
    public boolean tryAcquire(long bytes, Waiter waiter) {
        synchronized (this) {
            if (waiting.isEmpty() && fits(bytes)) {
                used += bytes;
                return true;
            }
            waiting.add(waiter);
            return false;
        }
    }

    /**
     * Takes {@code bytes} from the main lane if they fit and nobody waits; never queues. For a
     * holder that has a way on without the bytes: an async or memsync WRITE answered before its
     * remote part is done keeps its payload in memory after its NBD reply gave the client's bytes
     * back, so it is answered early only when it can hold bytes of its own; otherwise it is
     * answered when the secondary is done, as in fullsync. Given back with {@link #release}.
     */
    public synchronized boolean tryAcquireNow(long bytes) {
        if (waiting.isEmpty() && fits(bytes)) {
            used += bytes;
            return true;
        }
        return false;
    }

    /**
     * Takes {@code bytes} from the fast lane if the request is small and the lane has room;
     * never queues. Bytes taken so are given back with {@link #releaseSmall}.
     */
    public synchronized boolean tryAcquireSmall(long bytes) {
        if (bytes > smallMax || usedSmall + bytes > smallLane) {
            return false;
        }
        usedSmall += bytes;
        return true;
    }

    /** Gives back bytes taken with {@link #tryAcquireSmall}. */
    public void releaseSmall(long bytes) {
        synchronized (this) {
            if (bytes < 0 || bytes > usedSmall) {
                throw new IllegalStateException("fast lane released " + bytes + " of " + usedSmall);
            }
            usedSmall -= bytes;
        }
    }

    /** Gives back bytes taken from the fast lane ({@code smallLane}) or from the main lane. */
    public void release(long bytes, boolean smallLane) {
        if (smallLane) {
            releaseSmall(bytes);
        } else {
            release(bytes);
        }
    }

    /** For threads that may block (the sync thread): waits until {@code bytes} are held. */
    public void acquire(long bytes) throws InterruptedException {
        synchronized (this) {
            if (waiting.isEmpty() && fits(bytes)) {
                used += bytes;
                return;
            }
        }
        BlockedThread blocked = new BlockedThread(bytes);
        if (!tryAcquire(bytes, blocked)) {
            blocked.await(this);
        }
    }

    /**
     * Takes {@code waiter} out of the queue; false when it was no longer there, i.e. its bytes
     * were granted (or are being) and it must release them.
     */
    public synchronized boolean withdraw(Waiter waiter) {
        return waiting.remove(waiter);
    }

    /** Gives {@code bytes} back and hands what is free to the waiters, oldest first. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative release: " + bytes);
        }
        long giveBack = bytes;
        while (true) {
            Waiter next;
            synchronized (this) {
                used -= giveBack;
                giveBack = 0;
                if (used < 0) {
                    used = 0;
                    throw new IllegalStateException("budget released more than was acquired");
                }
                next = waiting.peek();
                if (next == null || !fits(next.wantedBytes())) {
                    return;
                }
                waiting.poll();
                used += next.wantedBytes();
            }
            next.budgetGranted();
        }
    }

    /** The main lane: the budget less the fast lane. */
    private boolean fits(long bytes) {
        return used == 0 || used + bytes <= capacity - smallLane;
    }

    /** A thread parked in {@link #acquire}; only made when it has to wait. */
    private static final class BlockedThread implements Waiter {
        private final long bytes;
        private boolean granted;

        BlockedThread(long bytes) {
            this.bytes = bytes;
        }

        @Override
        public long wantedBytes() {
            return bytes;
        }

        @Override
        public synchronized void budgetGranted() {
            granted = true;
            notifyAll();
        }

        synchronized void await(InflightBudget budget) throws InterruptedException {
            try {
                while (!granted) {
                    wait();
                }
            } catch (InterruptedException e) {
                if (!budget.withdraw(this)) {
                    // Granted meanwhile: not ours to keep.
                    budget.release(bytes);
                }
                throw e;
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "InflightBudget[" + used + "+" + usedSmall + "/" + capacity + " bytes, " + waiting.size()
                + " waiting]";
    }
}
