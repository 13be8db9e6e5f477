package org.hast.primary;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
    /** memsync: the remote event (received, or failure) has been counted. */
    volatile boolean receivedSeen;

    volatile int localError = EINVAL;
    volatile int remoteError = EINVAL;
    /** Components still to finish. */
    final AtomicInteger pending = new AtomicInteger();
    /** memsync: local done + remote "received"; the ack may go out when both happened. */
    final AtomicInteger memsyncEvents = new AtomicInteger(2);
    /** The client has been answered (early ack in memsync/async). */
    final AtomicBoolean acked = new AtomicBoolean();

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
