package org.hast.conf;

import java.net.StandardProtocolFamily;
import java.util.ArrayList;
import java.util.List;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;

/**
 * What the global section and this node's global {@code on} blocks said, while parsing. The
 * reference merges these into the resources only at the end of the file, so a global
 * statement applies to every resource wherever it is written (spec §1.3).
 */
final class GlobalDraft {
    // Depth 0 values, preset to the built-in defaults.
    String control = HastConfig.DEFAULT_CONTROL;
    String pidfile = HastConfig.DEFAULT_PIDFILE;
    String devdir = HastConfig.DEFAULT_DEVDIR;
    String statedir = HastConfig.DEFAULT_STATEDIR;
    /** {@code metrics} (extension): "" = no metrics endpoint. */
    String metrics = "";
    ReplicationMode replication = ResourceConfig.DEFAULT_REPLICATION;
    ChecksumAlgorithm checksum = ResourceConfig.DEFAULT_CHECKSUM;
    Compression compression = ResourceConfig.DEFAULT_COMPRESSION;
    int timeoutSeconds = ResourceConfig.DEFAULT_TIMEOUT_SECONDS;
    String exec = "";
    boolean metaflush = ResourceConfig.DEFAULT_METAFLUSH;
    DeviceMode device = ResourceConfig.DEFAULT_DEVICE;
    LocalIoMode localIo = ResourceConfig.DEFAULT_LOCALIO;
    /** exportcert, exportkey, exportca; "" = not set. */
    String exportCert = "";
    String exportKey = "";
    String exportCa = "";
    /** secret, tlscert, tlskey, tlsca. */
    final LinkDraft link = new LinkDraft();
    final IntegrityDraft integrity = new IntegrityDraft();

    // This node's global `on` blocks; null = not set there. They beat depth 0 in any order.
    String nodeControl;
    String nodePidfile;
    String nodeDevdir;
    String nodeStatedir;

    /** Global and this node's listen lines, in file order (accumulated, not inherited). */
    final List<String> listen = new ArrayList<>();

    String effectiveControl() {
        return nodeControl != null ? nodeControl : control;
    }

    String effectivePidfile() {
        return nodePidfile != null ? nodePidfile : pidfile;
    }

    String effectiveDevdir() {
        return nodeDevdir != null ? nodeDevdir : devdir;
    }

    String effectiveStatedir() {
        return nodeStatedir != null ? nodeStatedir : statedir;
    }

    /**
     * The listen lines, or the defaults for the address families this host has; empty when
     * there are none (the caller reports "No address to listen on.").
     */
    List<String> effectiveListen(AddressFamilyProbe probe) {
        if (!listen.isEmpty()) {
            return List.copyOf(listen);
        }
        List<String> defaults = new ArrayList<>();
        if (probe.supported(StandardProtocolFamily.INET)) {
            defaults.add(HastConfig.DEFAULT_LISTEN_TCP4);
        }
        if (probe.supported(StandardProtocolFamily.INET6)) {
            defaults.add(HastConfig.DEFAULT_LISTEN_TCP6);
        }
        return defaults;
    }
}
