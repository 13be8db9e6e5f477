package org.hast.conf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed hast.conf as seen by this node (spec §1): the node-level settings after the
 * matching {@code on} block was applied, and the resources in file order (that order is what
 * {@code all} means to hastctl).
 */
public final class HastConfig {
    /** {@code HAST_CONFIG}. */
    public static final String DEFAULT_CONFIG_FILE = "/etc/hast.conf";
    /** {@code HAST_CONTROL}: the code's bare-path spelling of {@code uds:///var/run/hastctl}. */
    public static final String DEFAULT_CONTROL = "/var/run/hastctl";
    /** {@code HASTD_PIDFILE}. */
    public static final String DEFAULT_PIDFILE = "/var/run/hastd.pid";
    /** {@code HASTD_LISTEN_TCP4}. */
    public static final String DEFAULT_LISTEN_TCP4 = "tcp4://0.0.0.0:8457";
    /** {@code HASTD_LISTEN_TCP6}. */
    public static final String DEFAULT_LISTEN_TCP6 = "tcp6://[::]:8457";
    /** Extension {@code devdir} default (decisions §3). */
    public static final String DEFAULT_DEVDIR = "/dev/hast";
    /** Extension {@code statedir} default: hastd's own per-resource state (A10's stale extents). */
    public static final String DEFAULT_STATEDIR = "/var/lib/hast";

    private final String file;
    private final String controlAddress;
    private final String pidfile;
    private final List<String> listenAddresses;
    private final String devdir;
    private final String statedir;
    private final String metricsAddress;
    private final List<ResourceConfig> resources;
    private final List<String> warnings;

    public HastConfig(String file, String controlAddress, String pidfile,
            List<String> listenAddresses, String devdir, String statedir, String metricsAddress,
            List<ResourceConfig> resources, List<String> warnings) {
        this.file = Objects.requireNonNull(file, "file");
        this.controlAddress = Objects.requireNonNull(controlAddress, "controlAddress");
        this.pidfile = Objects.requireNonNull(pidfile, "pidfile");
        this.listenAddresses = Collections.unmodifiableList(new ArrayList<>(listenAddresses));
        this.devdir = Objects.requireNonNull(devdir, "devdir");
        this.statedir = Objects.requireNonNull(statedir, "statedir");
        this.metricsAddress = Objects.requireNonNull(metricsAddress, "metricsAddress");
        this.resources = Collections.unmodifiableList(new ArrayList<>(resources));
        this.warnings = Collections.unmodifiableList(new ArrayList<>(warnings));
    }

    /** The file name the configuration was read from (as given, used in messages). */
    public String file() {
        return file;
    }

    /** {@code control}: where hastd listens for hastctl, as written. */
    public String controlAddress() {
        return controlAddress;
    }

    public String pidfile() {
        return pidfile;
    }

    /** {@code listen} lines of the global section and this node's block, or the defaults. */
    public List<String> listenAddresses() {
        return listenAddresses;
    }

    /** {@code devdir} (extension): where {@code <devdir>/<name>} providers appear. */
    public String devdir() {
        return devdir;
    }

    /** {@code statedir} (extension): where hastd keeps per-resource state files. */
    public String statedir() {
        return statedir;
    }

    /** {@code metrics} (extension): where /metrics is served, as written; "" = not served. */
    public String metricsAddress() {
        return metricsAddress;
    }

    /** Resources in file order. */
    public List<ResourceConfig> resources() {
        return resources;
    }

    public Optional<ResourceConfig> resource(String name) {
        for (ResourceConfig resource : resources) {
            if (resource.name().equals(name)) {
                return Optional.of(resource);
            }
        }
        return Optional.empty();
    }

    /** Non-fatal remarks, one line each ({@code <file>:<line>: warning: ...}). */
    public List<String> warnings() {
        return warnings;
    }

    /** Equal when every setting is; warnings do not count (a CRLF copy equals the original). */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof HastConfig)) {
            return false;
        }
        HastConfig that = (HastConfig) other;
        return file.equals(that.file) && controlAddress.equals(that.controlAddress)
                && pidfile.equals(that.pidfile) && listenAddresses.equals(that.listenAddresses)
                && devdir.equals(that.devdir) && statedir.equals(that.statedir)
                && metricsAddress.equals(that.metricsAddress) && resources.equals(that.resources);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, controlAddress, pidfile, listenAddresses, devdir, statedir, metricsAddress,
                resources);
    }

    @Override
    public String toString() {
        return "HastConfig[file=" + file + ", control=" + controlAddress + ", pidfile=" + pidfile
                + ", listen=" + listenAddresses + ", devdir=" + devdir + ", statedir=" + statedir + ", metrics="
                + metricsAddress + ", resources="
                + resources + "]";
    }
}
