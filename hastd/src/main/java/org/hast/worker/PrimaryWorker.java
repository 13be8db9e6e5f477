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
final class PrimaryWorker implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryWorker.class);
    /** {@code HAST_HIO_MAX}: request slots; all idle until the I/O path exists. */
    static final int REQUEST_SLOTS = 256;

    private volatile ResourceConfig config;
    private final WorkerStats stats = new WorkerStats();
    private LocalComponent local;
    private Metadata metadata;
    private ActiveMap activeMap;

    PrimaryWorker(ResourceConfig config) {
        this.config = config;
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
    }

    @Override
    public void status(NvWriter reply) {
        // "complete" needs both replication connections; there are none yet.
        reply.addString("status", "degraded");
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
        if (local != null) {
            local.close();
        }
    }
}
