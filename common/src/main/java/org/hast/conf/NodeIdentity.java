package org.hast.conf;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;

import org.hast.platform.Platform;
import org.hast.platform.host.HostPlatform;

/**
 * Decides whether the node string of an {@code on <node>} block means this host (spec §1.5,
 * the reference's {@code isitme}), with the Linux sources of spec §13.1. A string matches when
 * it is, in this order:
 * <ol>
 * <li>exactly the host name;</li>
 * <li>exactly the part of the host name before its first dot (only if it has a dot);</li>
 * <li>a host UUID, case-insensitively and with or without dashes: {@code /etc/machine-id}
 *     (32 hex digits) or {@code /sys/class/dmi/id/product_uuid} (dashed, often root-only);</li>
 * <li>{@code hostid<N>}, N the unsigned 32-bit value of glibc's {@code gethostid()}.</li>
 * </ol>
 * hastctl parses the configuration on every call, so every source is read only when an
 * earlier rule failed, and at most once: a config whose {@code on} names are host names never
 * reads DMI or resolves anything. A source that cannot be read simply takes no part.
 *
 * <p>Extension (decisions §3): {@code HAST_NODE=<name>} in the environment replaces all of
 * this; that name, compared exactly, is then the only identity, so two nodes can share a host.
 */
public final class NodeIdentity {
    /** The environment variable that overrides the node identity. */
    public static final String ENV_NODE = "HAST_NODE";

    private static final Path PROC_HOSTNAME = Paths.get("/proc/sys/kernel/hostname");
    private static final Path MACHINE_ID = Paths.get("/etc/machine-id");
    private static final Path DBUS_MACHINE_ID = Paths.get("/var/lib/dbus/machine-id");
    private static final Path DMI_UUID = Paths.get("/sys/class/dmi/id/product_uuid");
    private static final Path HOSTID_FILE = Paths.get("/etc/hostid");

    /** The HAST_NODE name, or null when the host's own identities apply. */
    private final String override;
    private final Lazy<String> hostname;
    private final List<Lazy<String>> uuids;
    private final Lazy<OptionalLong> hostid;

    NodeIdentity(String override, Supplier<String> hostname, List<Supplier<String>> uuids,
            Supplier<OptionalLong> hostid) {
        this.override = override;
        this.hostname = new Lazy<>(hostname);
        List<Lazy<String>> lazyUuids = new ArrayList<>();
        for (Supplier<String> uuid : uuids) {
            lazyUuids.add(new Lazy<>(uuid));
        }
        this.uuids = List.copyOf(lazyUuids);
        this.hostid = new Lazy<>(hostid);
    }

    /** This host's identity, or only {@code HAST_NODE} when the process environment has it. */
    public static NodeIdentity fromSystem() {
        return fromSystem(System.getenv());
    }

    /** This host's identity, or only {@code env.get("HAST_NODE")} when that is non-empty. */
    public static NodeIdentity fromSystem(Map<String, String> env) {
        String node = env.get(ENV_NODE);
        if (node != null && !node.isEmpty()) {
            return named(node);
        }
        // The hostid fallback needs the host name too: share one read.
        Lazy<String> host = new Lazy<>(NodeIdentity::readHostname);
        // FreeBSD's kern.hostuuid and kern.hostid (sysctl) come first; Linux has neither.
        Platform platform = HostPlatform.current();
        return new NodeIdentity(null, host,
                List.of(() -> platform.hostUuid().orElse(null), NodeIdentity::readMachineId,
                        NodeIdentity::readDmiUuid),
                () -> {
                    OptionalLong sysctl = platform.hostId();
                    return sysctl.isPresent() ? sysctl : readHostid(host.get());
                });
    }

    /** An identity that answers to {@code node} only, as with {@code HAST_NODE}. */
    public static NodeIdentity named(String node) {
        Objects.requireNonNull(node, "node");
        if (node.isEmpty()) {
            throw new IllegalArgumentException("empty node name");
        }
        return new NodeIdentity(node, () -> null, List.of(), OptionalLong::empty);
    }

    /**
     * Fixed values, for tests: {@code hostname} may be null (unknown), {@code uuids} in either
     * spelling, {@code hostid} empty when unknown.
     */
    public static NodeIdentity of(String hostname, List<String> uuids, OptionalLong hostid) {
        List<Supplier<String>> suppliers = new ArrayList<>();
        for (String uuid : uuids) {
            suppliers.add(() -> uuid);
        }
        return new NodeIdentity(null, () -> hostname, suppliers, () -> hostid);
    }

    /** Whether {@code node}, the string after {@code on}, designates this host. */
    public boolean matches(String node) {
        if (node == null || node.isEmpty()) {
            return false;
        }
        if (override != null) {
            return override.equals(node);
        }
        String host = hostname.get();
        if (host != null) {
            if (host.equals(node)) {
                return true;
            }
            int dot = host.indexOf('.');
            if (dot > 0 && host.substring(0, dot).equals(node)) {
                return true;
            }
        }
        for (Lazy<String> uuid : uuids) {
            String value = uuid.get();
            if (value != null && uuidMatches(value, node)) {
                return true;
            }
        }
        OptionalLong id = hostid.get();
        return id.isPresent() && node.equals("hostid" + id.getAsLong());
    }

    /**
     * The names this host answers to, for "No resource ... (acceptable node names: ...)":
     * {@code <first-label>, <hostname>, <uuid>..., hostid<N>}, leaving out what is unknown.
     * With {@code HAST_NODE}, that name alone.
     */
    public String acceptableNames() {
        if (override != null) {
            return override;
        }
        List<String> names = new ArrayList<>();
        String host = hostname.get();
        if (host != null) {
            int dot = host.indexOf('.');
            if (dot > 0) {
                names.add(host.substring(0, dot));
            }
            names.add(host);
        }
        for (Lazy<String> uuid : uuids) {
            String value = uuid.get();
            if (value != null) {
                names.add(value);
            }
        }
        OptionalLong id = hostid.get();
        if (id.isPresent()) {
            names.add("hostid" + id.getAsLong());
        }
        return String.join(", ", names);
    }

    /** The {@code HAST_NODE} name when it overrides the identity. */
    public java.util.Optional<String> override() {
        return java.util.Optional.ofNullable(override);
    }

    /** The host name (read on first use), or null when unknown or overridden. */
    public String hostname() {
        return override != null ? null : hostname.get();
    }

    static boolean uuidMatches(String uuid, String node) {
        String a = normalizeUuid(uuid);
        String b = normalizeUuid(node);
        if (a != null && b != null) {
            return a.equals(b);
        }
        return uuid.equalsIgnoreCase(node);
    }

    /** 32 lower-case hex digits for a dashed (8-4-4-4-12) or undashed UUID, else null. */
    static String normalizeUuid(String text) {
        String value = text.toLowerCase(Locale.ROOT);
        if (value.length() == 36) {
            if (value.charAt(8) != '-' || value.charAt(13) != '-' || value.charAt(18) != '-'
                    || value.charAt(23) != '-') {
                return null;
            }
            value = value.replace("-", "");
        }
        if (value.length() != 32) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        return value;
    }

    /**
     * glibc's {@code gethostid()} from the contents of {@code /etc/hostid}: its first four bytes
     * in host (little-endian) order; empty when the file is shorter, as glibc then falls back.
     */
    static OptionalLong hostidFromFile(byte[] content) {
        if (content.length < 4) {
            return OptionalLong.empty();
        }
        long value = (content[0] & 0xffL) | (content[1] & 0xffL) << 8
                | (content[2] & 0xffL) << 16 | (content[3] & 0xffL) << 24;
        return OptionalLong.of(value);
    }

    /**
     * glibc's {@code gethostid()} fallback: the IPv4 address of the host name, read as a
     * little-endian {@code s_addr}, with its 16-bit halves swapped (127.0.1.1 gives 0x007f0101).
     */
    static long hostidFromIpv4(byte[] address) {
        long sAddr = (address[0] & 0xffL) | (address[1] & 0xffL) << 8
                | (address[2] & 0xffL) << 16 | (address[3] & 0xffL) << 24;
        return ((sAddr << 16) | (sAddr >>> 16)) & 0xffffffffL;
    }

    private static String readHostname() {
        try {
            String name = Files.readString(PROC_HOSTNAME, StandardCharsets.UTF_8).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc not mounted: ask the JDK below.
        }
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return name == null || name.isEmpty() ? null : name;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String readMachineId() {
        String id = readUuidFile(MACHINE_ID);
        return id != null ? id : readUuidFile(DBUS_MACHINE_ID);
    }

    private static String readDmiUuid() {
        return readUuidFile(DMI_UUID);
    }

    private static String readUuidFile(Path file) {
        try {
            String value = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return normalizeUuid(value) != null ? value : null;
        } catch (IOException | RuntimeException e) {
            // Absent or unreadable (DMI is root-only on most systems): no UUID from here.
            return null;
        }
    }

    private static OptionalLong readHostid(String host) {
        try {
            OptionalLong fromFile = hostidFromFile(Files.readAllBytes(HOSTID_FILE));
            if (fromFile.isPresent()) {
                return fromFile;
            }
        } catch (IOException | RuntimeException e) {
            // No /etc/hostid: glibc derives the id from the host name's address.
        }
        if (host == null) {
            return OptionalLong.empty();
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (address instanceof Inet4Address) {
                    return OptionalLong.of(hostidFromIpv4(address.getAddress()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unresolvable host name: leave hostid matching out.
        }
        return OptionalLong.empty();
    }

    @Override
    public String toString() {
        return override != null ? "NodeIdentity[HAST_NODE=" + override + "]" : "NodeIdentity[host]";
    }

    /** Computes a value on first use, once, even if it is null. */
    private static final class Lazy<T> implements Supplier<T> {
        private Supplier<T> supplier;
        private T value;

        Lazy(Supplier<T> supplier) {
            this.supplier = Objects.requireNonNull(supplier);
        }

        @Override
        public synchronized T get() {
            if (supplier != null) {
                value = supplier.get();
                supplier = null;
            }
            return value;
        }
    }
}
