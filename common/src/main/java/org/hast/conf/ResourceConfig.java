package org.hast.conf;

import java.util.Objects;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;

/**
 * One resource as this node sees it (spec §1.3): every value already resolved through the
 * precedence rules (resource-node, then resource, then global, then built-in default).
 * Equality compares every field, which is what SIGHUP reload needs (spec §1.9).
 *
 * @param name           the resource name ({@code resource <name>})
 * @param providerName   {@code name}, defaulting to the resource name; the device is
 *                       {@code <devdir>/<providerName>}
 * @param localPath      {@code local}: the backing device or file
 * @param remoteAddress  {@code remote} as written; the literal {@code none} for
 *                       {@code remote none}
 * @param sourceAddress  {@code source} as written, "" when unset
 * @param replication    {@code replication}
 * @param checksum       {@code checksum}
 * @param compression    {@code compression}
 * @param timeoutSeconds {@code timeout}, always &gt; 0
 * @param exec           {@code exec}, "" when no hook
 * @param metaflush      {@code metaflush}
 * @param device         {@code device} (extension)
 * @param exportAddress  {@code export} as written (extension), "" when none
 * @param exportTls      {@code exportcert}, {@code exportkey}, {@code exportca} (extension)
 * @param linkSecurity   {@code secret}, {@code tlscert}, {@code tlskey}, {@code tlsca} (extension)
 * @param integrity      {@code integrity}, {@code syncmode}, {@code syncrate} (extension)
 * @param localIo        {@code localio} (extension)
 */
public record ResourceConfig(
        String name,
        String providerName,
        String localPath,
        String remoteAddress,
        String sourceAddress,
        ReplicationMode replication,
        ChecksumAlgorithm checksum,
        Compression compression,
        int timeoutSeconds,
        String exec,
        boolean metaflush,
        DeviceMode device,
        String exportAddress,
        ExportTls exportTls,
        LinkSecurity linkSecurity,
        IntegrityConfig integrity,
        LocalIoMode localIo) {

    /** {@code HAST_TIMEOUT}. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 20;
    public static final ReplicationMode DEFAULT_REPLICATION = ReplicationMode.MEMSYNC;
    public static final ChecksumAlgorithm DEFAULT_CHECKSUM = ChecksumAlgorithm.NONE;
    public static final Compression DEFAULT_COMPRESSION = Compression.HOLE;
    public static final boolean DEFAULT_METAFLUSH = true;
    public static final DeviceMode DEFAULT_DEVICE = DeviceMode.AUTO;
    public static final LocalIoMode DEFAULT_LOCALIO = LocalIoMode.BUFFERED;
    /** The {@code remote} value meaning "the other node is not known yet". */
    public static final String REMOTE_NONE = "none";

    public ResourceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(providerName, "providerName");
        Objects.requireNonNull(localPath, "localPath");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(sourceAddress, "sourceAddress");
        Objects.requireNonNull(replication, "replication");
        Objects.requireNonNull(checksum, "checksum");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(exportAddress, "exportAddress");
        Objects.requireNonNull(exportTls, "exportTls");
        Objects.requireNonNull(linkSecurity, "linkSecurity");
        Objects.requireNonNull(integrity, "integrity");
        Objects.requireNonNull(localIo, "localIo");
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("timeout must be positive: " + timeoutSeconds);
        }
    }

    /** A resource with a plain replication link, without the integrity extensions, buffered I/O. */
    public ResourceConfig(String name, String providerName, String localPath, String remoteAddress,
            String sourceAddress, ReplicationMode replication, ChecksumAlgorithm checksum, Compression compression,
            int timeoutSeconds, String exec, boolean metaflush, DeviceMode device, String exportAddress,
            ExportTls exportTls) {
        this(name, providerName, localPath, remoteAddress, sourceAddress, replication, checksum, compression,
                timeoutSeconds, exec, metaflush, device, exportAddress, exportTls, DEFAULT_LOCALIO);
    }

    /** A resource with a plain replication link and without the integrity extensions. */
    public ResourceConfig(String name, String providerName, String localPath, String remoteAddress,
            String sourceAddress, ReplicationMode replication, ChecksumAlgorithm checksum, Compression compression,
            int timeoutSeconds, String exec, boolean metaflush, DeviceMode device, String exportAddress,
            ExportTls exportTls, LocalIoMode localIo) {
        this(name, providerName, localPath, remoteAddress, sourceAddress, replication, checksum, compression,
                timeoutSeconds, exec, metaflush, device, exportAddress, exportTls, LinkSecurity.NONE,
                IntegrityConfig.DEFAULTS, localIo);
    }

    /** False for {@code remote none}: the primary never connects and no peer matches. */
    public boolean hasRemote() {
        return !REMOTE_NONE.equals(remoteAddress);
    }

    public boolean hasSource() {
        return !sourceAddress.isEmpty();
    }

    public boolean hasExec() {
        return !exec.isEmpty();
    }

    public boolean hasExport() {
        return !exportAddress.isEmpty();
    }
}
