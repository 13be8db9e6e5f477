package org.hast.daemon.channel;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.LinkSecurity;
import org.hast.conf.IntegrityConfig;
import org.hast.conf.LocalIoMode;
import org.hast.conf.ReplicationMode;
import org.hast.conf.ResourceConfig;
import org.hast.nv.NvFormatException;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Capabilities;
import org.hast.proto.Role;

/**
 * The parent↔worker channel (spec §3.3), carried on one Unix socket per worker. Parent →
 * worker: requests with {@code cmd}, answered in order. Worker → parent: events
 * ({@code event} uint8, acknowledged by the parent with {@code error}) and the replies.
 * A message is told apart by whether it carries {@code cmd}/{@code event}.
 *
 * <p>Beyond the reference's status (10) and reload (11) we add {@link #CONTROL_CONFIG}: a forked
 * worker inherits the parsed configuration, a new JVM is told it. Its reply means "ready".
 */
public final class WorkerProtocol {
    public static final int CONTROL_STATUS = 10;
    public static final int CONTROL_RELOAD = 11;
    public static final int CONTROL_CONFIG = 12;
    /** Ours: start or stop online verify; {@code verify} as in ControlCodes, reply {@code [verifyerr]}. */
    public static final int CONTROL_VERIFY = 13;

    /** Generous: a status reply is under 1 KiB. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;

    private WorkerProtocol() {
    }

    /**
     * The reload request of §3.3, fields in the reference's order, then ours: the integrity
     * settings, which a primary applies live (docs/integrity.md).
     */
    public static NvWriter reloadRequest(ResourceConfig resource) {
        NvWriter nv = new NvWriter();
        nv.addUint8("cmd", CONTROL_RELOAD);
        addReloadFields(nv, resource);
        addIntegrity(nv, resource.integrity());
        return nv;
    }

    private static void addReloadFields(NvWriter nv, ResourceConfig resource) {
        nv.addString("remoteaddr", resource.remoteAddress());
        nv.addString("sourceaddr", resource.sourceAddress());
        nv.addInt32("replication", resource.replication().code());
        nv.addInt32("checksum", resource.checksum().code());
        nv.addInt32("compression", resource.compression().code());
        nv.addInt32("timeout", resource.timeoutSeconds());
        nv.addString("exec", resource.exec());
        nv.addInt32("metaflush", resource.metaflush() ? 1 : 0);
    }

    /** Everything a new worker needs to know: the resource, its role and how to log. */
    public static NvWriter configRequest(ResourceConfig resource, Role role, int debugLevel,
                                         boolean foreground, String devdir, String statedir) {
        NvWriter nv = new NvWriter();
        nv.addUint8("cmd", CONTROL_CONFIG);
        nv.addString("resource", resource.name());
        nv.addString("provname", resource.providerName());
        nv.addString("localpath", resource.localPath());
        addReloadFields(nv, resource);
        nv.addString("device", resource.device().word());
        nv.addString("export", resource.exportAddress());
        nv.addString("exportcert", resource.exportTls().cert());
        nv.addString("exportkey", resource.exportTls().key());
        nv.addString("exportca", resource.exportTls().ca());
        nv.addString("secret", resource.linkSecurity().secret());
        nv.addString("tlscert", resource.linkSecurity().tlsCert());
        nv.addString("tlskey", resource.linkSecurity().tlsKey());
        nv.addString("tlsca", resource.linkSecurity().tlsCa());
        nv.addString("localio", resource.localIo().word());
        nv.addString("devdir", devdir);
        nv.addString("statedir", statedir);
        addIntegrity(nv, resource.integrity());
        nv.addUint8("role", role.code());
        nv.addUint8("debug", Math.min(debugLevel, 255));
        nv.addUint8("foreground", foreground ? 1 : 0);
        return nv;
    }

    private static void addIntegrity(NvWriter nv, IntegrityConfig integrity) {
        nv.addUint8("integrity", integrity.hashes() ? 1 : 0);
        nv.addUint8("syncmode", integrity.checksumSync() ? 1 : 0);
        nv.addUint64("syncrate", integrity.syncRate());
        nv.addUint32("syncadaptive", integrity.adaptiveTargetMs());
    }

    /** The integrity settings of a config request; the defaults when it has none. */
    private static IntegrityConfig integrityFrom(NvMessage nv) {
        if (!nv.has("integrity")) {
            return IntegrityConfig.DEFAULTS;
        }
        return new IntegrityConfig(nv.getUint8("integrity") != 0, nv.getUint8("syncmode") != 0,
                nv.getUint64("syncrate"), (int) nv.getUint32("syncadaptive"));
    }

    /** The resource of a config request; the reload fields of a reload request over {@code base}. */
    public static ResourceConfig resourceFrom(NvMessage nv, ResourceConfig base) throws NvFormatException {
        String name = base != null ? base.name() : nv.requireString("resource");
        String provider = base != null ? base.providerName() : nv.requireString("provname");
        String local = base != null ? base.localPath() : nv.requireString("localpath");
        DeviceMode device = base != null ? base.device() : DeviceMode.fromWord(nv.requireString("device"));
        String export = base != null ? base.exportAddress() : nv.requireString("export");
        ExportTls tls = base != null ? base.exportTls() : new ExportTls(nv.requireString("exportcert"),
                nv.requireString("exportkey"), nv.requireString("exportca"));
        LinkSecurity link = base != null ? base.linkSecurity() : new LinkSecurity(nv.requireString("secret"),
                nv.requireString("tlscert"), nv.requireString("tlskey"), nv.requireString("tlsca"));
        LocalIoMode localIo = base != null ? base.localIo() : LocalIoMode.fromWord(nv.requireString("localio"));
        int timeout = nv.requireInt32("timeout");
        ReplicationMode replication = ReplicationMode.fromCode(nv.requireInt32("replication"));
        ChecksumAlgorithm checksum = ChecksumAlgorithm.fromCode(nv.requireInt32("checksum"));
        Compression compression = Compression.fromCode(nv.requireInt32("compression"));
        if (device == null || localIo == null || timeout <= 0 || replication == null || checksum == null || compression == null) {
            throw new NvFormatException(NvFormatException.Reason.MALFORMED, "invalid resource definition for " + name);
        }
        return new ResourceConfig(name, provider, local,
                nv.requireString("remoteaddr"), nv.requireString("sourceaddr"),
                replication, checksum, compression,
                timeout, nv.requireString("exec"), nv.requireInt32("metaflush") != 0, device, export, tls, link,
                base != null && !nv.has("integrity") ? base.integrity() : integrityFrom(nv), localIo);
    }

    /**
     * What a secondary worker needs of the handshake (spec §4.3): the negotiated version and the
     * primary's second header. Appended to its configuration request.
     */
    public static void addSecondaryHandshake(NvWriter nv, NvMessage header, int version) {
        nv.addUint8("hsversion", version);
        if (header.has("virgin")) {
            nv.addInt8("hsvirgin", 1);
        }
        nv.addUint64("hsresuid", header.getUint64("resuid"));
        nv.addUint64("hslocalcnt", header.getUint64("localcnt"));
        nv.addUint64("hsremotecnt", header.getUint64("remotecnt"));
        nv.addUint32("hscaps", Capabilities.read(header) & 0xffff_ffffL);
    }

    public static NvWriter errorReply(int error) {
        return new NvWriter().addInt16("error", error);
    }

    public static NvWriter event(int code) {
        return new NvWriter().addUint8("event", code);
    }
}
