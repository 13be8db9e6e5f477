package org.hast.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import org.hast.activemap.ActiveMap;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ResourceConfig;
import org.hast.device.nbd.NbdServer;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.nv.NvWriter;
import org.hast.primary.ConnectionPair;
import org.hast.primary.DirtyMap;
import org.hast.primary.PrimaryPipeline;
import org.hast.primary.RemoteLink;
import org.hast.proto.HandshakeParams;
import org.hast.proto.Role;
import org.hast.proto.SyncSource;
import org.hast.sync.SyncLoop;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private Metadata metadata;
    private ActiveMap activeMap;
    private DirtyMap dirty;
    private PrimaryPipeline pipeline;
    private SyncLoop sync;
    private NbdServer export;
    private PrimaryDevice device;
    private final Path devdir;
    private final IntConsumer events;
    private RemoteLink link;
    /**
     * The secondary's {@code remotecnt} as last seen (A23: from our own metadata until the
     * first handshake): a write acknowledged during an outage while {@code localcnt} still
     * equals it is the outage's first, and bumps {@code localcnt} (spec §8).
     */
    private long peerRemoteCnt;

    PrimaryWorker(ResourceConfig config, Path devdir, IntConsumer events) {
        this.config = config;
        this.devdir = devdir;
        this.events = events;
    }

    @Override
    public void start() throws WorkerExit {
        OpenedComponent opened = OpenedComponent.open(config.localPath(), config.name());
        local = opened.local();
        metadata = opened.metadata();
        int sectorSize = local.geometry().sectorSize();
        try {
            activeMap = new ActiveMap(metadata.dataSize(), metadata.extentSize(), metadata.keepDirty(), sectorSize,
                    PrimaryPipeline.MAX_REQUEST_BYTES);
            int mapBytes = Math.toIntExact(DiskLayout.primaryMapBytes(metadata.dataSize(), metadata.extentSize(), sectorSize));
            ByteBuffer bitmap = ByteBuffer.allocate(mapBytes);
            local.readFully(bitmap, MetadataCodec.METADATA_SIZE);
            bitmap.flip();
            activeMap.load(bitmap);
        } catch (IOException | RuntimeException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to read activemap from " + local.path() + ": "
                    + e.getMessage() + ".");
        }
        if (metadata.resUid() == 0) {
            // A never-used resource starts its counters from zero (spec §3.7).
            metadata = metadata.withCounters(0, 0).withPrevRole(Role.PRIMARY);
            try {
                local.writeMetadata(metadata, config.metaflush());
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to write metadata to " + local.path() + ": "
                        + e.getMessage() + ".");
            }
        }
        if (activeMap.dirtyExtents() > 0) {
            LOG.debug("{} dirty extents to synchronise.", activeMap.dirtyExtents());
        }
        peerRemoteCnt = metadata.localCnt();
        dirty = new DirtyMap(activeMap, local, stats, config.metaflush());
        PayloadCodec codec = new PayloadCodec(config.compression(), config.checksum());
        pipeline = new PrimaryPipeline(local, metadata.localOff(), metadata.dataSize(), sectorSize, dirty, stats,
                this, config.replication(), codec, config.hasRemote(), new AtomicLong(1));
        pipeline.setReplyTimeout(config.timeoutSeconds());
        sync = new SyncLoop(dirty, pipeline, events);
        pipeline.setSyncKick(sync::kick);
        dirty.setCleanListener(pipeline::extentClean);
        if (config.hasRemote()) {
            link = new RemoteLink(config, this, events);
            link.start();
        }
        if (!config.exportAddress().isEmpty()) {
            try {
                export = NbdServer.start(config.exportAddress(), config.name(), pipeline, config.exportTls());
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_OSERR, "Unable to open export " + config.exportAddress() + ": "
                        + e.getMessage() + ".");
            }
            LOG.info("Serving the NBD export {} at {}.", config.name(), config.exportAddress());
        }
        device = PrimaryDevice.open(config, devdir, pipeline);
    }

    /** The I/O path, for the device bridges. */
    PrimaryPipeline pipeline() {
        return pipeline;
    }

    // RemoteLink.Resource: the link thread and the control thread share the metadata and map.

    @Override
    public long dataSize() {
        return metadata.dataSize();
    }

    @Override
    public int extentSize() {
        return metadata.extentSize();
    }

    @Override
    public synchronized long resUid(boolean[] generated) throws IOException {
        generated[0] = false;
        if (metadata.resUid() == 0) {
            long uid = 0;
            java.security.SecureRandom random = new java.security.SecureRandom();
            while (uid == 0) {
                uid = random.nextLong();
            }
            // Persisted before it is sent (spec §4.3).
            metadata = metadata.withResUid(uid).withPrevRole(Role.PRIMARY);
            local.writeMetadata(metadata, true);
            generated[0] = true;
        }
        return metadata.resUid();
    }

    @Override
    public synchronized long localCnt() {
        return metadata.localCnt();
    }

    @Override
    public synchronized long remoteCnt() {
        return metadata.remoteCnt();
    }

    @Override
    public synchronized void setCounters(long localCnt, long remoteCnt) throws IOException {
        LOG.debug("Setting localcnt to {} and remotecnt to {}.", Long.toUnsignedString(localCnt),
                Long.toUnsignedString(remoteCnt));
        metadata = metadata.withCounters(localCnt, remoteCnt).withPrevRole(Role.PRIMARY);
        local.writeMetadata(metadata, true);
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
        synchronized (this) {
            peerRemoteCnt = params.remoteCnt();
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
    public synchronized void acknowledgingWhileDisconnected() throws IOException {
        if (metadata.localCnt() == peerRemoteCnt) {
            setCounters(metadata.localCnt() + 1, metadata.remoteCnt());
        }
    }

    @Override
    public synchronized void status(NvWriter reply) {
        // "complete" needs both replication connections.
        reply.addString("status", link != null && link.connected() ? "complete" : "degraded");
        reply.addUint32("extentsize", Integer.toUnsignedLong(metadata.extentSize()));
        reply.addUint32("keepdirty", Integer.toUnsignedLong(metadata.keepDirty()));
        reply.addUint64("dirty", dirty.dirtyBytes());
        stats.addTo(reply);
        reply.addUint64("idle_queue_size", pipeline.idleSlots());
        reply.addUint64("local_queue_size", pipeline.localQueued());
        reply.addUint64("send_queue_size", pipeline.sendQueued());
        reply.addUint64("recv_queue_size", pipeline.awaitingReply());
        // Requests are answered by the component that finishes them: nothing waits to be.
        reply.addUint64("done_queue_size", 0);
    }

    @Override
    public void reload(ResourceConfig updated) {
        this.config = updated;
        if (pipeline != null) {
            pipeline.setReplication(updated.replication()); // A27: kept across reconnects
        }
        if (dirty != null) {
            dirty.setMetaflush(updated.metaflush());
        }
        LOG.info("Configuration reloaded.");
    }

    @Override
    public void close() {
        if (device != null) {
            device.close();
        }
        if (export != null) {
            export.close();
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
        if (dirty != null) {
            dirty.close();
        }
        if (local != null) {
            local.close();
        }
    }
}
