package org.hast.primary;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ReplicationMode;
import org.hast.block.BlockBackend;
import org.hast.block.InflightBudget;
import org.hast.proto.Capabilities;
import org.hast.proto.HioCommand;
import org.hast.sync.AdaptiveRate;
import org.hast.sync.SyncCopier;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import org.hast.sync.DirtyMap;

/**
 * The primary's I/O path (spec §11): client requests are cut into HAST requests of at most
 * {@link #MAX_REQUEST_BYTES}, each takes a request slot, WRITE and DELETE mark their extents
 * durably first (§7.3, A11), then go to the local disk and the secondary at the same time;
 * the client is answered by replication mode (fullsync: both done; memsync: local done and
 * the secondary has the data; async: local done), and a remote component that did not
 * succeed leaves the extents dirty for the next synchronisation (A25).
 */
public final class PrimaryPipeline implements BlockBackend, SyncCopier, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryPipeline.class);
    /**
     * Largest request sent to the secondary. 128 KiB is MAXPHYS of every FreeBSD release, so
     * an old peer accepts it too (spec §13.1); a larger client request becomes several.
     */
    public static final int MAX_REQUEST_BYTES = 128 * 1024;
    /** {@code HAST_HIO_MAX}. */
    public static final int REQUEST_SLOTS = 256;
    private static final int LOCAL_THREADS = 4;
    /** Linux's number; a FreeBSD peer's 45 arrives translated (ReplyHeader, WireErrno). */
    private static final int EOPNOTSUPP = 95;
    private static final int ESHUTDOWN = 108;

    /** §8: the first write acknowledged during an outage bumps {@code localcnt} first. */
    public interface Counters {
        /** Whether that bump is still due; never waits (called on any thread, event loops too). */
        boolean outageBumpPending();

        /** Makes the bump if still due: a metadata write and its fsync (see {@link OutageAcknowledgements}). */
        void acknowledgingWhileDisconnected() throws IOException;
    }

    private final long dataSize;
    private final int sectorSize;
    private final DirtyMap dirty;
    private final WorkerStats stats;
    private final OutageAcknowledgements outageAcks;
    private final RequestSlots slots = new RequestSlots(REQUEST_SLOTS);
    /** The client requests' Hios, one per slot. */
    private final HioPool pool = new HioPool(REQUEST_SLOTS, this::sendBoth);
    private final ClientRequests requests;
    private final LocalIo local;
    private final RemoteIo remote;
    private final EarlyAnswers earlyAnswers;
    /** Extents whose local copy is stale after a failed local write (A10): read remotely. */
    private final StaleExtents staleLocal;
    private volatile Runnable syncKick;
    private volatile ReplicationMode replication;
    /** The secondary holds the newer data until synchronisation finishes (A24). */
    private volatile boolean secondaryIsSyncSource;
    private volatile boolean closed;
    /** Regular writes against synchronisation steps (spec §7.7). */
    private final SyncRanges ranges = new SyncRanges(REQUEST_SLOTS);
    private final SyncSteps syncSteps;
    private final HashedSteps hashed = new HashedSteps(this::submit);
    /** Regular writes' latency until both components finished, for the adaptive sync rate. */
    private final WriteLatencyMeter writeLatency = new WriteLatencyMeter();
    /** {@code syncmode checksum}: used when the peer negotiated the hash messages. */
    private volatile boolean checksumSync;

    /** {@code remoteLoop} writes the frames to the secondary (docs/threads.md); null for a loop of its own. */
    public PrimaryPipeline(LocalComponent localComponent, long localOffset, long dataSize, int sectorSize,
            DirtyMap dirty, WorkerStats stats, Counters counters, ReplicationMode replication,
            PayloadCodec sendCodec, AtomicLong sequence, StaleExtents staleLocal, EventLoop remoteLoop) {
        this(localComponent, localOffset, dataSize, sectorSize, dirty, stats, counters, replication, sendCodec,
                sequence, staleLocal, remoteLoop, InflightBudget.shared());
    }

    PrimaryPipeline(LocalComponent localComponent, long localOffset, long dataSize, int sectorSize,
            DirtyMap dirty, WorkerStats stats, Counters counters, ReplicationMode replication,
            PayloadCodec sendCodec, AtomicLong sequence, StaleExtents staleLocal, EventLoop remoteLoop,
            InflightBudget budget) {
        this.earlyAnswers = new EarlyAnswers(budget); // sync steps and early answers share the budget
        this.dataSize = dataSize;
        this.sectorSize = sectorSize;
        this.dirty = dirty;
        this.staleLocal = staleLocal;
        this.stats = stats;
        this.outageAcks = new OutageAcknowledgements(counters);
        this.requests = new ClientRequests(stats, pool, this::submit, () -> closed);
        this.replication = replication;
        int capacity = REQUEST_SLOTS + 8;
        this.local = new LocalIo(localComponent, localOffset, LOCAL_THREADS, capacity, this::localDone);
        this.remote = new RemoteIo(sendCodec, MAX_REQUEST_BYTES, capacity, sequence, remoteLoop, this::remoteDone,
                this::remoteReceived);
        this.syncSteps = new SyncSteps(ranges, staleLocal, budget, this::submit, () -> closed,
                hashed, () -> checksumSync && peerHashes(), remote::hasCapability, sendCodec);
    }

    // ---- link and status ----

    /** The link is up: requests go to this connection pair; replies are read from {@code in}. */
    public void attach(ConnectionPair link) {
        link.in().pipeline().addLast("replies", new ReplyReceiver(remote));
        remote.attach(link);
    }

    public void detach() {
        remote.detach();
    }

    public boolean connected() {
        return remote.connected();
    }

    public void setSecondaryIsSyncSource(boolean value) {
        secondaryIsSyncSource = value;
    }

    /** The resource's {@code timeout}: a secondary silent this long with requests in flight is dropped. */
    public void setReplyTimeout(int seconds) {
        remote.setReplyTimeout(seconds);
    }

    /** SIGHUP (spec §1.9): requests sent from now on use these; those already sent keep theirs. */
    public void setSendCodec(Compression compression, ChecksumAlgorithm checksum) {
        remote.setSendCodec(compression, checksum);
    }

    public void setReplication(ReplicationMode mode) {
        replication = mode;
    }

    public int idleSlots() {
        return slots.free();
    }

    /** Pooled Hios not in use (all of them when idle). */
    int idleRequestObjects() {
        return pool.idle();
    }

    public int localQueued() {
        return local.queued();
    }

    public int sendQueued() {
        return remote.queued();
    }

    public int awaitingReply() {
        return remote.inFlight();
    }

    // ---- BlockBackend ----

    @Override
    public long size() {
        return dataSize;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean flushCoversAllClients() {
        return true;
    }

    @Override
    public void read(long offset, int length, ByteBuf into, Completion done) {
        requests.read(offset, length, into, done);
    }

    @Override
    public void write(long offset, ByteBuf data, boolean fua, Completion done) {
        requests.write(offset, data, fua, done);
    }

    @Override
    public void flush(Completion done) {
        requests.flush(done);
    }

    @Override
    public void trim(long offset, long length, Completion done) {
        requests.trim(offset, length, done);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayPunch, Completion done) {
        requests.writeZeroes(offset, length, done);
    }

    // ---- dispatch (spec §11.2) ----

    private void submit(Hio hio) {
        if (closed) {
            finishRejected(hio);
            return;
        }
        if (slots.acquireOrWait(hio)) {
            start(hio);
        }
    }

    private void start(Hio hio) {
        switch (hio.cmd) {
            case READ -> {
                if (hio.sync) {
                    startSync(hio);
                    return;
                }
                hio.remoteRead = readsFromRemote(hio);
                hio.expectComponents(1);
                if (hio.remoteRead) {
                    hio.toRemote = true;
                    remote.submit(hio);
                } else {
                    hio.toLocal = true;
                    local.submit(hio);
                }
            }
            case WRITE, DELETE -> {
                if (hio.sync) {
                    startSync(hio);
                    return;
                }
                if (hio.startedNanos == 0) {
                    hio.startedNanos = System.nanoTime();
                }
                if (!ranges.lockOrPark(hio)) {
                    // A parked write gives its slot back: the sync step it waits for needs one.
                    releaseSlot();
                    return;
                }
                // Over a stale extent only the secondary's copy counts: the client waits for it.
                ReplicationMode mode = staleLocal.anyIn(hio.offset, hio.length) ? ReplicationMode.FULLSYNC
                        : replication;
                hio.memsync = hio.cmd == HioCommand.WRITE && usesMemsync(mode, remote.version());
                hio.async = mode == ReplicationMode.ASYNC;
                hio.toLocal = true;
                hio.toRemote = true;
                hio.expectComponents(2);
                if (staleLocal.repairsPending()) {
                    staleLocal.whenSettled(hio.offset, hio.length, () -> markAndSend(hio));
                } else {
                    markAndSend(hio);
                }
            }
            case HASH -> startSync(hio);
            case FLUSH -> {
                hio.toLocal = true;
                hio.toRemote = true;
                hio.expectComponents(2);
                sendBoth(hio);
            }
            default -> throw new IllegalStateException("cannot dispatch " + hio);
        }
    }

    private void markAndSend(Hio hio) {
        Runnable then = hio.afterMark;
        dirty.writeStart(hio.offset, hio.length, then != null ? then : () -> sendBoth(hio));
    }

    /** memsync needs protocol version 2; a version-1 peer gets fullsync (spec §4.6). */
    static boolean usesMemsync(ReplicationMode mode, int peerVersion) {
        return mode == ReplicationMode.MEMSYNC && peerVersion >= 2;
    }

    private void startSync(Hio hio) {
        hio.expectComponents(1);
        if (hio.toLocal) {
            local.submit(hio);
        } else {
            remote.submit(hio);
        }
    }

    /**
     * The remote part is queued first: once the local part completes, an async write may be
     * acknowledged, and a FLUSH the client sends after that must reach the secondary behind
     * this write, not before it. Without a connection the remote part fails here and now (the
     * local part is still pending, so this never completes the request on this thread).
     */
    private void sendBoth(Hio hio) {
        if (remote.connected()) {
            remote.submit(hio);
        } else {
            hio.remoteError = RemoteIo.ENOTCONN;
            remoteDone(hio);
        }
        local.submit(hio);
    }

    private boolean readsFromRemote(Hio hio) {
        return secondaryIsSyncSource || staleLocal.anyIn(hio.offset, hio.length);
    }

    // ---- component completions ----

    private void localDone(Hio hio) {
        if (hio.sync) {
            // A failing local sync READ is not redirected (spec §7.7).
            componentDone(hio);
            return;
        }
        stats.localLatency.record(System.nanoTime() - hio.admittedNanos);
        if (hio.cmd == HioCommand.READ && hio.localError != 0 && remote.connected()) {
            // "Local request failed, trying remote node." (spec §11.3); still one pending.
            hio.toRemote = true;
            remote.submit(hio);
            return;
        }
        if (hio.cmd == HioCommand.WRITE || hio.cmd == HioCommand.DELETE) {
            if (hio.async && hio.localError == 0) {
                acknowledgeEarly(hio);
            } else if (hio.memsync) {
                memsyncEvent(hio);
            }
        }
        componentDone(hio);
    }

    /**
     * memsync's "received" reply. {@link RemoteIo} holds the request from completing until the
     * end, so that a sweep after a disconnect cannot finish it and recycle its Hio for another
     * request while this thread still works on it.
     */
    private void remoteReceived(Hio hio) {
        try {
            if (hio.claimReceived()) {
                memsyncEvent(hio);
            }
        } finally {
            componentDone(hio); // the hold, even if the early answer threw: else it never completes
        }
    }

    private void remoteDone(Hio hio) {
        if (!hio.sync && hio.remoteError != RemoteIo.ENOTCONN) {
            stats.remoteLatency.record(System.nanoTime() - hio.admittedNanos);
        }
        if (hio.memsync && hio.claimReceived()) {
            // A failed (or single-reply) remote counts as the memsync event (spec §11.4).
            memsyncEvent(hio);
        }
        componentDone(hio);
    }

    /** memsync: the client is answered once local is done and the secondary has the data. */
    private void memsyncEvent(Hio hio) {
        if (hio.memsyncEvent() && hio.localError == 0) {
            // A22: never early when the local write failed; final completion decides then.
            acknowledgeEarly(hio);
        }
    }

    private void acknowledgeEarly(Hio hio) {
        if (earlyAnswers.mayAnswer(hio)) {
            acknowledge(hio, 0);
        }
    }

    private void componentDone(Hio hio) {
        if (hio.componentDone()) {
            finish(hio);
        }
    }

    // ---- completion (spec §11.5) ----

    private void finish(Hio hio) {
        if (hio.sync) {
            if (hio.cmd == HioCommand.WRITE) {
                hio.data.release();
            }
            acknowledge(hio, hio.toLocal ? hio.localError : hio.remoteError);
            releaseSlot();
            return;
        }
        int remoteError = hio.remoteError;
        if (hio.cmd == HioCommand.FLUSH && remoteError == EOPNOTSUPP) {
            remoteError = 0; // A28: a secondary that cannot flush its cache has nothing to flush
        }
        boolean localOk = hio.toLocal && hio.localError == 0;
        boolean remoteOk = hio.toRemote && remoteError == 0;
        boolean ok = localOk || remoteOk;
        if (hio.toLocal && hio.localError != 0) {
            countLocalError(hio.cmd);
        }
        boolean modifies = hio.cmd == HioCommand.WRITE || hio.cmd == HioCommand.DELETE;
        if (modifies && !localOk && remoteOk) {
            completeStaleWrite(hio);
            return;
        }
        int result = ok ? 0 : (hio.remoteRead ? remoteError : hio.localError);
        if (modifies) {
            if (localOk && !remoteOk && staleLocal.anyIn(hio.offset, hio.length)) {
                // The rest of a stale extent is only on the secondary, which did not get this
                // write: no copy holds the extent as the client wrote it.
                result = remoteError != 0 ? remoteError : LocalIo.EIO;
            }
            completeWrite(hio, localOk, remoteOk);
        }
        done(hio, result);
    }

    /**
     * A10: the secondary has the data and this disk does not. The extents are read from the
     * secondary and synchronised from it (whatever the direction of the pass) until the copy is
     * back; the client hears of it only once that is stored, so a restart cannot forget it.
     */
    private void completeStaleWrite(Hio hio) {
        staleLocal.mark(hio.offset, hio.length, errno -> {
            dirty.needSync(hio.offset, hio.length);
            dirty.writeComplete(hio.offset, hio.length);
            LOG.warn("Local {} failed but the secondary has it; the range is read from the secondary until "
                    + "it is copied back.", hio);
            kickSync();
            done(hio, errno);
        });
    }

    /** Answers the client and gives back the buffer, the range and the slot. */
    private void done(Hio hio, int result) {
        if (hio.cmd == HioCommand.WRITE) {
            // Before the answer, which gives the client's in-flight budget back: the payload
            // that budget lets in next must not be in memory beside this one.
            hio.data.release();
        }
        acknowledge(hio, result);
        if (hio.cmd == HioCommand.WRITE) {
            earlyAnswers.done(hio);
            if (hio.startedNanos != 0) {
                writeLatency.record(hio.startedNanos);
            }
        }
        if (hio.cmd == HioCommand.WRITE || hio.cmd == HioCommand.DELETE) {
            ranges.unlock(hio);
        }
        releaseSlot();
        pool.release(hio);
    }

    private void releaseSlot() {
        Hio next = slots.releaseOrNext();
        if (next != null) {
            start(next);
        }
    }

    // ---- synchronisation steps (spec §7.7) ----

    /** See {@link SyncSteps#copy}: locks the range (waiting on this thread), reads it, writes it. */
    @Override
    public void syncCopy(long offset, int length, boolean passFromSecondary, Completion done)
            throws InterruptedException {
        syncSteps.copy(offset, length, passFromSecondary, done);
    }

    /**
     * Online verify of {@code [offset, offset+length)}: locked against regular writes and
     * synchronisation steps, so neither a write nor a copy in flight shows as a difference;
     * {@code done} gets an errno or the blocks whose hashes differ between the nodes, and runs
     * while the range is still locked (what it asks of the bitmap matches the comparison).
     */
    public void verifyStep(long offset, int length, VerifyResult done) throws InterruptedException {
        if (!peerHashes()) {
            done.verified(EOPNOTSUPP, 0);
            return;
        }
        syncSteps.verify(offset, length, done);
    }

    @Override
    public int maxCopyBytes() {
        return syncSteps.maxCopyBytes();
    }

    /** Whether the connected peer negotiated the hash messages (online verify, checksum sync). */
    public boolean peerHashes() {
        return remote.hasCapability(Capabilities.HASHES);
    }

    /** What the adaptive sync rate watches: the regular writes' latency so far. */
    public AdaptiveRate.WriteLatency writeLatency() {
        return writeLatency;
    }

    public void setChecksumSync(boolean enabled) {
        checksumSync = enabled;
    }

    /** Bytes checksum synchronisation found identical on the secondary and did not send. */
    public long checksumSkippedBytes() {
        return hashed.skippedBytes.get();
    }

    private void completeWrite(Hio hio, boolean localOk, boolean remoteOk) {
        if (!remoteOk) {
            dirty.needSync(hio.offset, hio.length);
            kickSync(); // a remote error reply on a live link: repair now, not at the next connect
        }
        if (localOk) {
            dirty.writeComplete(hio.offset, hio.length);
        }
    }

    private void kickSync() {
        Runnable kick = syncKick;
        if (kick != null && remote.connected()) {
            kick.run();
        }
    }

    /** How new work reaches the synchronisation thread while the link is up. */
    public void setSyncKick(Runnable kick) {
        this.syncKick = kick;
    }

    /** The sync cursor finished an extent and it is clean: a stale local copy was replaced. */
    public void extentClean(int extent) {
        if (staleLocal.repaired(extent)) {
            LOG.info("Extent {} copied back from the secondary.", extent);
        }
    }

    /** A secondary that starts over empty has lost the newer copies of our stale extents. */
    public void secondaryStartsOver() {
        int lost = staleLocal.forgetAll();
        if (lost > 0) {
            LOG.error("The secondary was re-created: {} extents whose newer copy only it had keep this node's "
                    + "older data.", lost);
        }
    }

    private void countLocalError(HioCommand cmd) {
        switch (cmd) {
            case READ -> stats.readError.increment();
            case WRITE -> stats.writeError.increment();
            case DELETE -> stats.deleteError.increment();
            case FLUSH -> stats.flushError.increment();
            default -> { }
        }
    }

    private void acknowledge(Hio hio, int errno) {
        if (!hio.claimAck()) {
            return;
        }
        if (errno == 0 && !hio.sync && (hio.cmd == HioCommand.WRITE || hio.cmd == HioCommand.DELETE)
                && !remote.connected() && outageAcks.takeOver(hio.piece)) {
            return;
        }
        hio.piece.done(errno);
    }

    private void finishRejected(Hio hio) {
        if (hio.cmd == HioCommand.WRITE) {
            hio.data.release();
        }
        hio.piece.done(ESHUTDOWN);
        pool.release(hio);
    }

    /** Stops taking requests; everything queued or in flight fails with ESHUTDOWN. */
    @Override
    public void close() {
        closed = true;
        Hio waiting;
        while ((waiting = slots.pollWaiting()) != null) {
            finishRejected(waiting);
        }
        ranges.drainParked().forEach(this::finishRejected);
        local.close();
        remote.close();
        outageAcks.close();
    }
}
