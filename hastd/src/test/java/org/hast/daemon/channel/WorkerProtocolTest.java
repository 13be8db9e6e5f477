package org.hast.daemon.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.IntegrityConfig;
import org.hast.conf.LinkSecurity;
import org.hast.conf.LocalIoMode;
import org.hast.conf.ReplicationMode;
import org.hast.conf.ResourceConfig;
import org.hast.nv.NvMessage;
import org.hast.proto.Role;
import org.junit.jupiter.api.Test;

/** A worker gets its resource exactly as the main process parsed it, export TLS included. */
class WorkerProtocolTest {
    @Test
    void configRequestCarriesTheWholeResource() throws Exception {
        for (ExportTls tls : new ExportTls[] {ExportTls.NONE, new ExportTls("/c.pem", "/k.pem", "/ca.pem")}) {
            ResourceConfig resource = new ResourceConfig("r0", "prov", "/dev/x", "tcp://10.0.0.2", "tcp://10.0.0.1",
                    ReplicationMode.FULLSYNC, ChecksumAlgorithm.CRC32, Compression.LZF, 7, "/bin/hook", false,
                    DeviceMode.NONE, "tcp://0.0.0.0:10809", tls, LocalIoMode.DIRECT);
            NvMessage sent = NvMessage.decode(WorkerProtocol.configRequest(resource, Role.PRIMARY, 0, true, "/dev/hast",
                    "/var/lib/hast")
                    .encode());
            assertEquals(resource, WorkerProtocol.resourceFrom(sent, null));
        }
    }

    /** SIGHUP: the reload request carries the integrity settings too, and only what reload may change. */
    @Test
    void reloadRequestCarriesTheIntegritySettings() throws Exception {
        ResourceConfig running = new ResourceConfig("r0", "prov", "/dev/x", "tcp://10.0.0.2", "tcp://10.0.0.1",
                ReplicationMode.FULLSYNC, ChecksumAlgorithm.CRC32, Compression.LZF, 7, "/bin/hook", false,
                DeviceMode.NONE, "tcp://0.0.0.0:10809", ExportTls.NONE, LinkSecurity.NONE, IntegrityConfig.DEFAULTS,
                LocalIoMode.DIRECT);
        IntegrityConfig changed = new IntegrityConfig(true, true, 16L << 20, 0);
        ResourceConfig updated = new ResourceConfig("r0", "prov", "/dev/x", "tcp://10.0.0.2", "tcp://10.0.0.1",
                ReplicationMode.MEMSYNC, ChecksumAlgorithm.CRC32, Compression.LZF, 7, "/bin/hook", false,
                DeviceMode.NONE, "tcp://0.0.0.0:10809", ExportTls.NONE, LinkSecurity.NONE, changed, LocalIoMode.DIRECT);
        NvMessage sent = NvMessage.decode(WorkerProtocol.reloadRequest(updated).encode());
        assertEquals(updated, WorkerProtocol.resourceFrom(sent, running));
        assertEquals(changed, WorkerProtocol.resourceFrom(sent, running).integrity());
    }
}
