package org.hast.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Paths;

import org.hast.activemap.ActiveMap;
import org.hast.conf.ResourceConfig;
import org.hast.meta.DiskLayout;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.meta.MetadataException;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.hast.util.SysExits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary worker (spec §3.7 start order): opens and locks the local component, reads the
 * metadata, rebuilds the activemap from the on-disk bitmap (everything dirty there will be
 * synchronised) and gives the resource its counters. The replication link, the I/O path and
 * the device come on top of this.
 */
final class PrimaryWorker implements Worker, org.hast.primary.RemoteLink.Resource {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryWorker.class);
    /** {@code HAST_HIO_MAX}: request slots; all idle until the I/O path exists. */
    static final int REQUEST_SLOTS = 256;

    private volatile ResourceConfig config;
    private final WorkerStats stats = new WorkerStats();
    private LocalComponent local;
    private Metadata metadata;
    private ActiveMap activeMap;
    private final java.util.function.IntConsumer events;
    private org.hast.primary.RemoteLink link;

    PrimaryWorker(ResourceConfig config, java.util.function.IntConsumer events) {
        this.config = config;
        this.events = events;
    }

    @Override
    public void start() throws WorkerExit {
        try {
            local = LocalComponent.open(Paths.get(config.localPath()));
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, e.getMessage());
        }
        try {
            metadata = local.readMetadata(config.name());
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to read metadata from " + local.path() + ": "
                    + e.getMessage() + ".");
        } catch (MetadataException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, e.getMessage());
        }
        int sectorSize = local.geometry().sectorSize();
        try {
            activeMap = new ActiveMap(metadata.dataSize(), metadata.extentSize(), metadata.keepDirty(), sectorSize);
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
        if (config.hasRemote()) {
            link = new org.hast.primary.RemoteLink(config, this, events);
            link.start();
        }
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
    public synchronized void mergeBitmap(ByteBuffer peer) throws IOException {
        if (peer.remaining() < activeMap.mapSize()) {
            throw new IOException("the secondary's bitmap has " + peer.remaining() + " bytes, "
                    + activeMap.mapSize() + " needed");
        }
        activeMap.merge(peer);
        ByteBuffer merged = activeMap.bitmap();
        local.writeFully(merged, MetadataCodec.METADATA_SIZE);
        if (config.metaflush()) {
            local.flush();
        }
    }

    @Override
    public synchronized long dirtyBytes() {
        return activeMap.dirtyBytes();
    }

    @Override
    public synchronized void status(NvWriter reply) {
        // "complete" needs both replication connections.
        reply.addString("status", link != null && link.connected() ? "complete" : "degraded");
        reply.addUint32("extentsize", Integer.toUnsignedLong(metadata.extentSize()));
        reply.addUint32("keepdirty", Integer.toUnsignedLong(metadata.keepDirty()));
        reply.addUint64("dirty", activeMap.dirtyBytes());
        stats.addTo(reply);
        reply.addUint64("idle_queue_size", REQUEST_SLOTS);
        reply.addUint64("local_queue_size", 0);
        reply.addUint64("send_queue_size", 0);
        reply.addUint64("recv_queue_size", 0);
        reply.addUint64("done_queue_size", 0);
    }

    @Override
    public void reload(ResourceConfig updated) {
        this.config = updated;
        LOG.info("Configuration reloaded.");
    }

    @Override
    public void close() {
        if (link != null) {
            link.stop();
        }
        if (local != null) {
            local.close();
        }
    }
}
