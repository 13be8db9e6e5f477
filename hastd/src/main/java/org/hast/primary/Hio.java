package org.hast.primary;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.hast.block.BlockBackend;
import org.hast.proto.HioCommand;

import io.netty.buffer.ByteBuf;

/**
 * One HAST request in flight on the primary (the reference's {@code struct hio}): at most
 * {@link PrimaryPipeline#MAX_REQUEST_BYTES} of one client request, sent to the local and/or
 * the remote component. The last component to finish completes it; a component's error slot
 * starts as EINVAL and only a component that really handled the request overwrites it.
 *
 * <p>A client request's Hio usually comes from a {@link HioPool} and goes back to it once
 * answered, so every field a request sets is reset by {@link #reuse}; the others are made
 * with the constructor and left to the garbage collector.
 */
final class Hio {
    static final int EINVAL = 22;

    /** The pool this Hio returns to, or null. */
    final HioPool pool;
    HioCommand cmd;
    long offset;
    int length;
    /** WRITE: the data (our own reference); READ: where the data goes. Null otherwise. */
    ByteBuf data;
    /**
     * WRITE: where in {@link #data} the {@link #length} bytes start, fixed when the request is
     * made: the caller's buffer may be shared whole (no slice), so its indices are not ours.
     */
    int dataIndex;
    /** Completion of this piece (the client request's share of it). */
    BlockBackend.Completion piece;
    /** When the request was admitted: the start of its local and remote latency. */
    long admittedNanos;
    /** Pooled: what runs once the extents are marked (made once, not per request). */
    Runnable afterMark;

    /** Sequence number on the wire, set when sent to the remote. */
    volatile long seq;
    /** Whether memsync semantics apply (double reply), fixed at dispatch. */
    boolean memsync;
    boolean async;
    /** A synchronisation step's READ or WRITE: routed as set, no activemap, no statistics. */
    boolean sync;
    /** READ routed to the remote from the start (the secondary is the sync source). */
    boolean remoteRead;
    boolean toLocal;
    boolean toRemote;
    /** A regular WRITE: when it was first started, for the adaptive sync rate's latency. */
    long startedNanos;
    /** Answered early, it holds {@link #length} bytes of the worker's budget until it is done. */
    boolean holdsBudget;

    volatile int localError = EINVAL;
    volatile int remoteError = EINVAL;
    /** Components still to finish. */
    private volatile int pending;
    /** memsync: local done + remote "received"; the ack may go out when both happened. */
    private volatile int memsyncEvents = 2;
    /** 1 once the client has been answered (early ack in memsync/async). */
    private volatile int acked;
    /** memsync: 1 once the remote event (the "received" reply, or the remote's end) was counted. */
    private volatile int received;
    /** Pooled: 1 between {@link HioPool#acquire} and {@link HioPool#release}. */
    private volatile int inUse;

    // Field updaters rather than atomic objects: three fewer allocations per request.
    private static final AtomicIntegerFieldUpdater<Hio> PENDING =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "pending");
    private static final AtomicIntegerFieldUpdater<Hio> MEMSYNC_EVENTS =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "memsyncEvents");
    private static final AtomicIntegerFieldUpdater<Hio> ACKED =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "acked");
    private static final AtomicIntegerFieldUpdater<Hio> RECEIVED =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "received");
    private static final AtomicIntegerFieldUpdater<Hio> IN_USE =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "inUse");

    /** Sets how many components must finish before the request completes. */
    void expectComponents(int count) {
        pending = count;
    }

    /** One component finished; true for the last one. */
    boolean componentDone() {
        return PENDING.decrementAndGet(this) == 0;
    }

    /**
     * One more component to wait for: a memsync "received" reply being handled keeps the request
     * from completing (and its Hio from being recycled) until it calls {@link #componentDone}.
     * Only while another component is still pending, so a finished request never revives.
     */
    void holdComponent() {
        PENDING.incrementAndGet(this);
    }

    /**
     * memsync: claims the remote event, which the "received" reply and the remote's end (a
     * failure, a sweep after a disconnect) may both try to count; true only for the first.
     */
    boolean claimReceived() {
        return RECEIVED.compareAndSet(this, 0, 1);
    }

    /** memsync: one of the two events before the early ack; true for the second. */
    boolean memsyncEvent() {
        return MEMSYNC_EVENTS.decrementAndGet(this) == 0;
    }

    /** Claims the client's answer; true only for the first caller. */
    boolean claimAck() {
        return ACKED.compareAndSet(this, 0, 1);
    }

    Hio(HioCommand cmd, long offset, int length, ByteBuf data, BlockBackend.Completion piece) {
        this.pool = null;
        set(cmd, offset, length, data, piece);
    }

    /** An idle Hio of {@code pool}. */
    Hio(HioPool pool) {
        this.pool = pool;
    }

    /** Takes an idle pooled Hio for a new request: every per-request field starts over. */
    void reuse(HioCommand cmd, long offset, int length, ByteBuf data, BlockBackend.Completion piece) {
        if (!IN_USE.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("request object handed out twice: " + this);
        }
        seq = 0;
        memsync = false;
        async = false;
        sync = false;
        remoteRead = false;
        toLocal = false;
        toRemote = false;
        startedNanos = 0;
        holdsBudget = false;
        received = 0;
        localError = EINVAL;
        remoteError = EINVAL;
        pending = 0;
        memsyncEvents = 2;
        acked = 0;
        set(cmd, offset, length, data, piece);
    }

    /** Marks a pooled Hio idle and drops its references; false when it already was idle. */
    boolean retire() {
        if (!IN_USE.compareAndSet(this, 1, 0)) {
            return false;
        }
        data = null;
        piece = null;
        return true;
    }

    private void set(HioCommand cmd, long offset, int length, ByteBuf data, BlockBackend.Completion piece) {
        this.cmd = cmd;
        this.offset = offset;
        this.length = length;
        this.data = data;
        this.dataIndex = data == null ? 0 : data.readerIndex();
        this.piece = piece;
        this.admittedNanos = System.nanoTime();
    }

    @Override
    public String toString() {
        return cmd + "(" + offset + ", " + length + ")";
    }
}
