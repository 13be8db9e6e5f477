package org.hast.worker;

import java.io.IOException;
import java.security.SecureRandom;

import org.hast.meta.Metadata;
import org.hast.proto.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's metadata: its UID and counters (spec §8), shared by the link's connect thread,
 * the synchronisation thread, the thread that acknowledges writes during an outage and status.
 * Changes are written one at a time under their own lock, held across the write and its
 * fsync; readers never take it and see a copy only once it is on disk, so status never waits
 * for the disk and no write is acknowledged on the strength of a counter still being written.
 */
final class PrimaryMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryMetadata.class);

    /** Where a changed copy goes: the component's metadata area, flushed. */
    @FunctionalInterface
    interface Store {
        void write(Metadata metadata) throws IOException;
    }

    private final Store store;
    /** Serialises the writers; never held by a reader. */
    private final Object writeLock = new Object();
    private volatile Metadata current;
    /**
     * The secondary's {@code remotecnt} as last seen (A23: from our own metadata until the
     * first handshake): a write acknowledged during an outage while {@code localcnt} still
     * equals it is the outage's first, and bumps {@code localcnt} (spec §8).
     */
    private volatile long peerRemoteCnt;

    PrimaryMetadata(Metadata initial, Store store) {
        this.current = initial;
        this.peerRemoteCnt = initial.localCnt();
        this.store = store;
    }

    /** The copy on disk; never waits. */
    Metadata current() {
        return current;
    }

    /** The resource UID, generated and persisted first if still 0; reports whether it was. */
    long resUid(boolean[] generated) throws IOException {
        synchronized (writeLock) {
            generated[0] = false;
            if (current.resUid() == 0) {
                long uid = 0;
                SecureRandom random = new SecureRandom();
                while (uid == 0) {
                    uid = random.nextLong();
                }
                // Persisted before it is sent (spec §4.3).
                write(current.withResUid(uid).withPrevRole(Role.PRIMARY));
                generated[0] = true;
            }
            return current.resUid();
        }
    }

    void setCounters(long localCnt, long remoteCnt) throws IOException {
        synchronized (writeLock) {
            LOG.debug("Setting localcnt to {} and remotecnt to {}.", Long.toUnsignedString(localCnt),
                    Long.toUnsignedString(remoteCnt));
            write(current.withCounters(localCnt, remoteCnt).withPrevRole(Role.PRIMARY));
        }
    }

    void peerConnected(long remoteCnt) {
        peerRemoteCnt = remoteCnt;
    }

    /** Whether a write acknowledged now, during an outage, must first bump {@code localcnt}; never waits. */
    boolean outageBumpPending() {
        return current.localCnt() == peerRemoteCnt;
    }

    /** The outage's first acknowledged write bumps {@code localcnt}, on disk, before its ack. */
    void acknowledgingWhileDisconnected() throws IOException {
        synchronized (writeLock) {
            Metadata now = current;
            if (now.localCnt() == peerRemoteCnt) {
                setCounters(now.localCnt() + 1, now.remoteCnt());
            }
        }
    }

    /** Published only once written: a failed write leaves the old copy, and the next change retries. */
    private void write(Metadata next) throws IOException {
        store.write(next);
        current = next;
    }
}
