package org.hast.conf;

import java.util.List;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;

/**
 * One {@code resource} block while it is parsed. Keeps the resource level (depth 1) and this
 * node's resource {@code on} level (depth 2) apart, since the node level wins whatever the
 * order, and leaves unset values null so that {@link #toConfig} can fall back to the global
 * ones, exactly as the reference's -1 / empty-string markers do.
 */
final class ResourceDraft {
    final String name;

    // Resource level (depth 1).
    ReplicationMode replication;
    ChecksumAlgorithm checksum;
    Compression compression;
    int timeoutSeconds;
    String exec;
    Boolean metaflush;
    DeviceMode device;
    LocalIoMode localIo;
    String providerName;
    String localPath;
    String exportAddress;
    int exportLine;
    String exportCert;
    String exportKey;
    String exportCa;
    final LinkDraft link = new LinkDraft();
    /** The line of the closing brace, for errors that belong to the resource as a whole. */
    int closingLine;
    final IntegrityDraft integrity = new IntegrityDraft();

    // This node's `on` block inside the resource (depth 2).
    boolean hadMyNode;
    String nodeProviderName;
    String nodeLocalPath;
    Boolean nodeMetaflush;
    String remoteAddress;
    String sourceAddress;
    String nodeExportAddress;
    int nodeExportLine;
    String nodeExportCert;
    String nodeExportKey;
    String nodeExportCa;
    final LinkDraft nodeLink = new LinkDraft();

    ResourceDraft(String name) {
        this.name = name;
    }

    /**
     * The checks the reference makes at the resource's closing brace (spec §1.3), in its
     * order: this node must have a block, then {@code remote}, then {@code local}.
     */
    void validate(String file, int line, NodeIdentity identity) throws ConfigException {
        closingLine = line;
        if (!hadMyNode) {
            throw ConfigException.at(file, line, "No resource " + name
                    + " configuration for this node (acceptable node names: "
                    + identity.acceptableNames() + ").");
        }
        if (remoteAddress == null) {
            throw ConfigException.at(file, line,
                    "Remote address not configured for resource " + name + ".");
        }
        if (localPath == null && nodeLocalPath == null) {
            throw ConfigException.at(file, line,
                    "Path to local component not configured for resource " + name + ".");
        }
    }

    /**
     * The resolved resource; call after {@link #validate} and at the end of the file, when the
     * global TLS keywords are known.
     *
     * @throws ConfigException on the line of the {@code export} in effect: an export that is
     *         neither a Unix socket nor loopback TCP without TLS, or an incomplete TLS set
     */
    ResourceConfig toConfig(GlobalDraft global, String file) throws ConfigException {
        String provider = nodeProviderName;
        if (provider == null && providerName != null) {
            // Quirk kept from the reference: the resource-level name was checked against
            // PATH_MAX only and is silently cut to NAME_MAX - 1 when copied.
            provider = truncate(providerName, ConfigParser.MAX_NAME);
        }
        if (provider == null) {
            provider = name;
        }
        String local = nodeLocalPath != null ? nodeLocalPath : localPath;
        boolean flush = nodeMetaflush != null ? nodeMetaflush
                : metaflush != null ? metaflush : global.metaflush;
        String export = nodeExportAddress != null ? nodeExportAddress
                : exportAddress != null ? exportAddress : "";
        ExportTls tls = new ExportTls(
                first(nodeExportCert, exportCert, global.exportCert),
                first(nodeExportKey, exportKey, global.exportKey),
                first(nodeExportCa, exportCa, global.exportCa));
        if (!export.isEmpty()) {
            checkExport(export, tls, file, nodeExportAddress != null ? nodeExportLine : exportLine);
        }
        return new ResourceConfig(
                name,
                provider,
                local,
                remoteAddress,
                sourceAddress != null ? sourceAddress : "",
                replication != null ? replication : global.replication,
                checksum != null ? checksum : global.checksum,
                compression != null ? compression : global.compression,
                timeoutSeconds > 0 ? timeoutSeconds : global.timeoutSeconds,
                exec != null ? exec : global.exec,
                flush,
                device != null ? device : global.device,
                export,
                tls,
                LinkDraft.resolve(nodeLink, link, global.link, file, closingLine),
                integrity.resolve(global.integrity.resolve(IntegrityConfig.DEFAULTS)),
                localIo != null ? localIo : global.localIo);
    }

    /**
     * Anyone who reaches an export can read and write the whole resource, so it stays on this
     * host (a Unix socket or a loopback literal) unless TLS with client certificates is set up.
     * An address that does not parse is left to the worker, which reports it when it opens it.
     */
    private static void checkExport(String export, ExportTls tls, String file, int line)
            throws ConfigException {
        List<String> missing = tls.missing();
        if (!missing.isEmpty()) {
            throw ConfigException.at(file, line, "export " + export + ": TLS needs exportcert, exportkey"
                    + " and exportca; missing " + String.join(", ", missing) + ".");
        }
        if (tls.enabled()) {
            return;
        }
        HastAddress address;
        try {
            address = HastAddress.parse(export, HastAddress.NBD_DEFAULT_PORT);
        } catch (AddressException e) {
            return;
        }
        if (address.isTcp() && !address.isLoopbackLiteral()) {
            throw ConfigException.at(file, line, "export " + export + " is not a loopback address;"
                    + " an export reachable from the network needs exportcert, exportkey and exportca"
                    + " (TLS with client certificates).");
        }
    }

    private static String first(String node, String resource, String global) {
        return node != null ? node : resource != null ? resource : global;
    }

    private static String truncate(String value, int max) {
        return value.length() > max ? value.substring(0, max) : value;
    }
}
