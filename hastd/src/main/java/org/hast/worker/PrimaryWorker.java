package org.hast.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntConsumer;

import org.hast.activemap.ActiveMap;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ResourceConfig;
import org.hast.block.InflightBudget;
import org.hast.device.nbd.NbdServer;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.nv.NvWriter;
import org.hast.primary.ConnectionPair;
import org.hast.sync.DirtyMap;
import org.hast.primary.PrimaryPipeline;
import org.hast.primary.RemoteLink;
import org.hast.primary.StaleExtents;
import org.hast.proto.HandshakeParams;
import org.hast.proto.Role;
import org.hast.proto.SyncSource;
import org.hast.sync.SyncLoop;
import org.hast.role.SyncProgress;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hast.local.StaleExtentsFile;
import org.hast.local.OpenedComponent;
import org.hast.role.WorkerStats;
import org.hast.local.LocalComponent;
import org.hast.role.WorkerExit;
import org.hast.role.Worker;

/**
 * The primary worker (spec §3.7 start order): opens and locks the local component, reads the
 * metadata, rebuilds the activemap from the on-disk bitmap (everything dirty there will be
 * synchronised) and gives the resource its counters. The replication link, the I/O path and
 * the device come on top of this.
 */
final class PrimaryWorker implements Worker, RemoteLink.Resource, PrimaryPipeline.Counters {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryWorker.class);

    private volatile ResourceConfig config;
    private final WorkerStats stats = new WorkerStats();
    private LocalComponent local;
    /** Metadata and counters; readable without waiting for a metadata write in progress. */
    private volatile PrimaryMetadata metadata;
    private final Function<LocalComponent, PrimaryMetadata.Store> metadataStores;
    private ActiveMap activeMap;
    private DirtyMap dirty;
    private PrimaryPipeline pipeline;
    private SyncLoop sync;
    private IntegrityControls integrity;
    private NbdServer export;
    private PrimaryDevice device;
    private final Path devdir;
    private final Path statedir;
    private StaleExtents stale;
    private final IntConsumer events;
    private volatile RemoteLink link;
    private WorkerLoops loops;

    PrimaryWorker(ResourceConfig config, Path devdir, Path statedir, IntConsumer events) {
        this(config, devdir, statedir, events, local -> changed -> local.writeMetadata(changed, true));
    }

    /** {@code metadataStores}: how changed metadata reaches the component (tests stall it). */
    PrimaryWorker(ResourceConfig config, Path devdir, Path statedir, IntConsumer events,
                  Function<LocalComponent, PrimaryMetadata.Store> metadataStores) {
        this.config = config;
        this.devdir = devdir;
        this.statedir = statedir;
        this.events = events;
        this.metadataStores = metadataStores;
    }

    @Override
    public void start() throws WorkerExit {
        OpenedComponent opened = OpenedComponent.open(config.localPath(), config.name(), config.localIo());
        local = opened.local();
        Metadata onDisk = opened.metadata();
        int sectorSize = local.geometry().sectorSize();
        try {
            activeMap = new ActiveMap(onDisk.dataSize(), onDisk.extentSize(), onDisk.keepDirty(), sectorSize,
                    PrimaryPipeline.MAX_REQUEST_BYTES);
            int mapBytes = Math.toIntExact(DiskLayout.primaryMapBytes(onDisk.dataSize(), onDisk.extentSize(), sectorSize));
            ByteBuffer bitmap = ByteBuffer.allocate(mapBytes);
            local.readFully(bitmap, MetadataCodec.METADATA_SIZE);
            bitmap.flip();
            activeMap.load(bitmap);
        } catch (IOException | RuntimeException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to read activemap from " + local.path() + ": "
                    + e.getMessage() + ".");
        }
        if (onDisk.resUid() == 0) {
            // A never-used resource starts its counters from zero (spec §3.7).
            onDisk = onDisk.withCounters(0, 0).withPrevRole(Role.PRIMARY);
            try {
                local.writeMetadata(onDisk, config.metaflush());
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to write metadata to " + local.path() + ": "
                        + e.getMessage() + ".");
            }
        }
        if (activeMap.dirtyExtents() > 0) {
            LOG.debug("{} dirty extents to synchronise.", activeMap.dirtyExtents());
        }
        metadata = new PrimaryMetadata(onDisk, metadataStores.apply(local));
        LOG.debug("Request bytes in flight capped at {} MiB for all clients together.",
                InflightBudget.shared().capacity() >> 20);
        dirty = new DirtyMap(activeMap, local, onDisk.localOff(), stats, config.metaflush());
        stale = loadStaleExtents();
        PayloadCodec codec = new PayloadCodec(config.compression(), config.checksum());
        loops = new WorkerLoops();
        pipeline = new PrimaryPipeline(local, onDisk.localOff(), onDisk.dataSize(), sectorSize, dirty, stats,
                this, config.replication(), codec, new AtomicLong(1), stale, loops.link().next());
        pipeline.setReplyTimeout(config.timeoutSeconds());
        sync = new SyncLoop(dirty, pipeline, events);
        pipeline.setSyncKick(sync::kick);
        integrity = new IntegrityControls(config.integrity(), pipeline, dirty, sync);
        dirty.setCleanListener(pipeline::extentClean);
        if (config.hasRemote()) {
            link = new RemoteLink(config, this, events, loops.link());
            link.start();
        }
        if (!config.exportAddress().isEmpty()) {
            try {
                export = NbdServer.start(config.exportAddress(), config.name(), pipeline, config.exportTls(),
                        loops.clients());
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_OSERR, "Unable to open export " + config.exportAddress() + ": "
                        + e.getMessage() + ".");
            }
            LOG.info("Serving the NBD export {} at {}.", config.name(), config.exportAddress());
        }
        device = PrimaryDevice.open(config, devdir, pipeline, loops);
    }

    /**
     * A10 across restarts: extents whose local copy was stale when the last worker ended are
     * read from the secondary and synchronised from it, as they were before.
     */
    private StaleExtents loadStaleExtents() throws WorkerExit {
        StaleExtentsFile file = new StaleExtentsFile(statedir, config.name());
        Metadata now = metadata.current();
        StaleExtentsFile.Loaded loaded;
        try {
            loaded = file.load(now.resUid(), now.extentSize(), activeMap.extentCount());
        } catch (IOException e) {
            dirty.close();
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to load the stale extents: " + e.getMessage()
                    + "; remove it only if this node's data of the resource is known to be current.");
        }
        if (loaded.ignoredWhy() != null) {
            LOG.warn("Ignored {}: {}.", file.path(), loaded.ignoredWhy());
        }
        StaleExtents extents = new StaleExtents(now.extentSize(), file, this::currentResUid);
        if (!loaded.extents().isEmpty()) {
            extents.restore(loaded.extents());
            long extentSize = now.extentSize();
            loaded.extents().stream().forEach(e -> dirty.needSync(e * extentSize,
                    Math.min(extentSize, now.dataSize() - e * extentSize)));
            LOG.warn("{} extents of the local copy are older than the secondary's (a local write failed); they "
                    + "are read from the secondary and synchronised from it.", loaded.extents().cardinality());
        }
        return extents;
    }

    private long currentResUid() {
        return metadata.current().resUid();
    }

    /** The I/O path, for the device bridges. */
    PrimaryPipeline pipeline() {
        return pipeline;
    }

    // RemoteLink.Resource and PrimaryPipeline.Counters: the link's connect thread, the sync
    // thread and the outage acknowledgements change the metadata; status only reads it.

    @Override
    public long dataSize() {
        return metadata.current().dataSize();
    }

    @Override
    public int extentSize() {
        return metadata.current().extentSize();
    }

    @Override
    public long resUid(boolean[] generated) throws IOException {
        return metadata.resUid(generated);
    }

    @Override
    public long localCnt() {
        return metadata.current().localCnt();
    }

    @Override
    public long remoteCnt() {
        return metadata.current().remoteCnt();
    }

    @Override
    public void setCounters(long localCnt, long remoteCnt) throws IOException {
        metadata.setCounters(localCnt, remoteCnt);
    }

    @Override
    public void mergeBitmap(ByteBuffer peer) throws IOException {
        dirty.merge(peer);
    }

    @Override
    public long dirtyBytes() {
        return dirty.dirtyBytes();
    }

    @Override
    public void linkUp(ConnectionPair remote, HandshakeParams params) {
        metadata.peerConnected(params.remoteCnt());
        if (params.virgin()) {
            pipeline.secondaryStartsOver();
        }
        boolean fromSecondary = params.syncSrc() == SyncSource.SECONDARY && dirty.dirtyBytes() > 0;
        pipeline.setSecondaryIsSyncSource(fromSecondary);
        pipeline.attach(remote);
        sync.start(fromSecondary, () -> nodesInSync(params));
    }

    /** Synchronisation finished (spec §7.7): counters equalised with the secondary's, reads local. */
    private void nodesInSync(HandshakeParams params) {
        pipeline.setSecondaryIsSyncSource(false);
        try {
            setCounters(params.remoteCnt(), params.localCnt());
        } catch (IOException e) {
            LOG.error("Unable to store the counters after synchronization: {}.", e.getMessage());
        }
    }

    @Override
    public void linkDown() {
        sync.interrupt();
        pipeline.detach();
    }

    @Override
    public boolean outageBumpPending() {
        return metadata.outageBumpPending();
    }

    @Override
    public void acknowledgingWhileDisconnected() throws IOException {
        metadata.acknowledgingWhileDisconnected();
    }

    /** Takes no lock that a metadata write holds: status answers while the disk is stuck. */
    @Override
    public void status(NvWriter reply) {
        RemoteLink l = link;
        Metadata now = metadata.current();
        // "complete" needs both replication connections.
        reply.addString("status", l != null && l.connected() ? "complete" : "degraded");
        reply.addUint32("extentsize", Integer.toUnsignedLong(now.extentSize()));
        reply.addUint32("keepdirty", Integer.toUnsignedLong(now.keepDirty()));
        reply.addUint64("dirty", dirty.dirtyBytes());
        stats.addTo(reply);
        reply.addUint64("idle_queue_size", pipeline.idleSlots());
        reply.addUint64("local_queue_size", pipeline.localQueued());
        reply.addUint64("send_queue_size", pipeline.sendQueued());
        reply.addUint64("recv_queue_size", pipeline.awaitingReply());
        // Requests are answered by the component that finishes them: nothing waits to be.
        reply.addUint64("done_queue_size", 0);
        integrity.status(reply);
    }

    @Override
    public String verify(int action) {
        return integrity.verify(action);
    }

    @Override
    public void extendedStatus(NvWriter reply) {
        RemoteLink l = link;
        reply.addUint8("x_proto_version", l == null ? 0 : l.version());
        stats.addExtendedTo(reply);
        reply.addUint64("x_inflight", pipeline.localQueued() + pipeline.sendQueued() + pipeline.awaitingReply());
        SyncProgress progress = syncProgress();
        if (progress.active()) {
            reply.addString("x_sync_direction", progress.direction());
            reply.addUint64("x_sync_done", progress.doneBytes());
            reply.addUint64("x_sync_total", progress.totalBytes());
            reply.addUint64("x_sync_rate", progress.bytesPerSecond());
            reply.addInt64("x_sync_eta", progress.etaSeconds());
        }
    }

    @Override
    public SyncProgress syncProgress() {
        SyncLoop s = sync;
        return s == null ? SyncProgress.IDLE : s.progress();
    }

    @Override
    public long localErrors() {
        return stats.localErrors();
    }

    @Override
    public void reload(ResourceConfig updated) {
        this.config = updated;
        if (pipeline != null) {
            pipeline.setReplication(updated.replication()); // A27: kept across reconnects
            pipeline.setSendCodec(updated.compression(), updated.checksum());
            pipeline.setReplyTimeout(updated.timeoutSeconds());
        }
        if (dirty != null) {
            dirty.setMetaflush(updated.metaflush());
        }
        if (integrity != null) {
            integrity.reload(updated.integrity());
        }
        reloadLink(updated);
        LOG.info("Configuration reloaded.");
    }

    /**
     * A new remote or source address reconnects; {@code remote none} stops replicating and an
     * address where there was none starts it, as the reference's guard thread would (spec §1.9).
     */
    private void reloadLink(ResourceConfig updated) {
        if (pipeline == null) {
            return; // not started yet: start() reads the new definition
        }
        RemoteLink l = link;
        if (l != null && !updated.hasRemote()) {
            link = null;
            l.stop();
        } else if (l != null) {
            l.reconfigure(updated);
        } else if (updated.hasRemote()) {
            l = new RemoteLink(updated, this, events, loops.link());
            link = l;
            l.start();
        }
    }

    @Override
    public void close() {
        if (device != null) {
            device.close();
        }
        if (export != null) {
            export.close();
        }
        if (integrity != null) {
            integrity.close();
        }
        if (sync != null) {
            sync.interrupt();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (sync != null) {
            sync.close();
        }
        if (link != null) {
            link.stop();
        }
        if (stale != null) {
            stale.close();
        }
        if (dirty != null) {
            dirty.close();
        }
        if (local != null) {
            local.close();
        }
        if (loops != null) {
            loops.close();
        }
    }
}
