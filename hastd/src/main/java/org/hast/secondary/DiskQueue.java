package org.hast.secondary;

import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.netty.channel.Channel;
import io.netty.util.internal.PlatformDependent;

/**
 * The queue from the secondary's event loop to its disk thread, with back-pressure that never
 * blocks the loop, which also writes the replies: at {@link #HIGH_WATER} queued requests the
 * loop stops reading the primary's connection, and the disk thread has it resume once the queue
 * is down to {@link #LOW_WATER}. Requests the frame decoder still hands over after reading
 * stopped (the rest of the last read) wait in a loop-only overflow, so the memory held is at
 * most {@link #CAPACITY} requests plus one read's worth of frames.
 *
 * <p>The queue is an array ring and a waiting taker parks itself, so a hand-off allocates
 * nothing (a blocking queue's condition made a node per wait). One thread takes at a time
 * ({@link SecondaryDisk}'s dispatch lock); a second concurrent taker fails loudly.
 */
final class DiskQueue {
    static final int CAPACITY = 256;
    static final int HIGH_WATER = CAPACITY * 3 / 4;
    static final int LOW_WATER = HIGH_WATER / 2;

    /** Offered to on the loop only; polled by the taker and by {@link #drain}. */
    private final Queue<SecondaryRequest> queue = PlatformDependent.newFixedMpmcQueue(CAPACITY);
    /** The taker while it waits for a request, else null. */
    private final AtomicReference<Thread> waiter = new AtomicReference<>();
    /** Requests that found the queue full; touched on the event loop only. */
    private final ArrayDeque<SecondaryRequest> overflow = new ArrayDeque<>();
    private final AtomicBoolean resumeScheduled = new AtomicBoolean();
    private final Runnable resume = this::resume;
    private volatile Channel in;
    /** Reading is stopped; written on the loop, read by the disk thread. */
    private volatile boolean paused;

    /** The connection requests arrive on, before it reads anything. */
    void setReceiveChannel(Channel in) {
        this.in = in;
    }

    /** Event loop: queues a request, and stops reading once the disk thread is behind. */
    void add(SecondaryRequest request) {
        if (!overflow.isEmpty() || !queue.offer(request)) {
            overflow.add(request);
        } else {
            wakeTaker();
        }
        if (!paused && (!overflow.isEmpty() || queue.size() >= HIGH_WATER)) {
            paused = true;
            in.config().setAutoRead(false);
            // The disk thread may have drained the queue before it could see the flag.
            if (queue.size() <= LOW_WATER) {
                scheduleResume();
            }
        }
    }

    /** Disk thread: the next request, waiting for one; lets the loop read again when it can. */
    SecondaryRequest take() throws InterruptedException {
        SecondaryRequest request = queue.poll();
        if (request == null) {
            request = await();
        }
        if (paused && queue.size() <= LOW_WATER) {
            scheduleResume();
        }
        return request;
    }

    /** Parks until a request is queued: registered first, then checked, so no offer is missed. */
    private SecondaryRequest await() throws InterruptedException {
        Thread me = Thread.currentThread();
        if (!waiter.compareAndSet(null, me)) {
            throw new IllegalStateException("two threads take from the disk queue at once");
        }
        try {
            while (true) {
                SecondaryRequest request = queue.poll();
                if (request != null) {
                    return request;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                LockSupport.park(this);
            }
        } finally {
            waiter.set(null);
        }
    }

    /** After an offer: unparks the taker if it waits (a spurious unpark only makes it poll again). */
    private void wakeTaker() {
        // The offer's store before the read of the waiter: otherwise both could miss the other.
        VarHandle.fullFence();
        Thread taker = waiter.get();
        if (taker != null) {
            LockSupport.unpark(taker);
        }
    }

    /** Whether reading is stopped for back-pressure (the primary is not silent then, we are deaf). */
    boolean paused() {
        return paused;
    }

    int queued() {
        return queue.size();
    }

    private void scheduleResume() {
        if (resumeScheduled.compareAndSet(false, true)) {
            try {
                in.eventLoop().execute(resume);
            } catch (RejectedExecutionException e) {
                // The loop is shutting down with the worker: nothing left to resume.
            }
        }
    }

    /** Event loop: refills the queue from the overflow; reads again once both have room. */
    private void resume() {
        resumeScheduled.set(false);
        SecondaryRequest next;
        while ((next = overflow.peek()) != null && queue.offer(next)) {
            overflow.poll();
            wakeTaker();
        }
        if (overflow.isEmpty() && queue.size() < HIGH_WATER) {
            paused = false;
            in.config().setAutoRead(true);
        }
    }

    /** The connection is gone: releases what is queued (the overflow on its own loop). */
    void drain() {
        SecondaryRequest request;
        while ((request = queue.poll()) != null) {
            request.release();
        }
        Channel channel = in;
        if (channel == null) {
            return;
        }
        try {
            channel.eventLoop().execute(this::releaseOverflow);
        } catch (RejectedExecutionException e) {
            releaseOverflow(); // the loop has ended, so nothing else touches the overflow
        }
    }

    private void releaseOverflow() {
        SecondaryRequest request;
        while ((request = overflow.poll()) != null) {
            request.release();
        }
    }
}
