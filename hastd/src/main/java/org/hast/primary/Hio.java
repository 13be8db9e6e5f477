package org.hast.primary;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.hast.proto.HioCommand;

import io.netty.buffer.ByteBuf;

/**
 * One HAST request in flight on the primary (the reference's {@code struct hio}): at most
 * {@link PrimaryPipeline#MAX_REQUEST_BYTES} of one client request, sent to the local and/or
 * the remote component. The last component to finish completes it; a component's error slot
 * starts as EINVAL and only a component that really handled the request overwrites it.
 */
final class Hio {
    static final int EINVAL = 22;

    final HioCommand cmd;
    final long offset;
    final int length;
    /** WRITE: the data (our own reference); READ: where the data goes. Null otherwise. */
    final ByteBuf data;
    /** Completion of this piece (the client request's share of it). */
    final Piece piece;
    /** When the request was admitted: the start of its local and remote latency. */
    final long admittedNanos = System.nanoTime();

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
    /** memsync: the remote event (received, or failure) has been counted. */
    volatile boolean receivedSeen;

    volatile int localError = EINVAL;
    volatile int remoteError = EINVAL;
    /** Components still to finish. */
    private volatile int pending;
    /** memsync: local done + remote "received"; the ack may go out when both happened. */
    private volatile int memsyncEvents = 2;
    /** 1 once the client has been answered (early ack in memsync/async). */
    private volatile int acked;

    // Field updaters rather than atomic objects: three fewer allocations per request.
    private static final AtomicIntegerFieldUpdater<Hio> PENDING =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "pending");
    private static final AtomicIntegerFieldUpdater<Hio> MEMSYNC_EVENTS =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "memsyncEvents");
    private static final AtomicIntegerFieldUpdater<Hio> ACKED =
            AtomicIntegerFieldUpdater.newUpdater(Hio.class, "acked");

    /** Sets how many components must finish before the request completes. */
    void expectComponents(int count) {
        pending = count;
    }

    /** One component finished; true for the last one. */
    boolean componentDone() {
        return PENDING.decrementAndGet(this) == 0;
    }

    /** memsync: one of the two events before the early ack; true for the second. */
    boolean memsyncEvent() {
        return MEMSYNC_EVENTS.decrementAndGet(this) == 0;
    }

    /** Claims the client's answer; true only for the first caller. */
    boolean claimAck() {
        return ACKED.compareAndSet(this, 0, 1);
    }

    /** The share of a client request this HAST request completes. */
    interface Piece {
        void done(int errno);
    }

    Hio(HioCommand cmd, long offset, int length, ByteBuf data, Piece piece) {
        this.cmd = cmd;
        this.offset = offset;
        this.length = length;
        this.data = data;
        this.piece = piece;
    }

    @Override
    public String toString() {
        return cmd + "(" + offset + ", " + length + ")";
    }
}
