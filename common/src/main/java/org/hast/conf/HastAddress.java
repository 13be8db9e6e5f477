package org.hast.conf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@code listen}, {@code remote}, {@code source}, {@code control} or {@code export} address
 * (spec §1.6). The config parser keeps addresses as the strings written (hastctl prints them
 * verbatim); the daemon turns them into this when it opens sockets.
 *
 * <p>Forms:
 * <ul>
 * <li>UDS: {@code uds://path}, {@code unix://path} (scheme in any case), or a string starting
 *     with {@code /} that has no {@code ://}. The path must fit Linux's {@code sun_path}
 *     (107 bytes plus the NUL).</li>
 * <li>TCP: {@code tcp4://}, {@code tcp6://}, {@code tcp://} or no scheme, then
 *     {@code host[:port]}. One colon: the port follows it. Several colons: an IPv6 literal,
 *     whose port can only be given in brackets ({@code [fe80::1]:8457}). A33: a bracketed
 *     literal without a port ({@code tcp6://[::1]}) takes the default port (the reference
 *     rejects it). Ports are decimal 1..65535; with a default port of 0 (that of
 *     {@code source}) an explicit 0 is accepted too. Host names are at most 255 characters.</li>
 * <li>{@code socketpair://} is internal to the reference and refused.</li>
 * </ul>
 * Parsing never resolves names; {@link #toSocketAddress()} does.
 */
public final class HastAddress {
    /** {@code PROTO_TCP_DEFAULT_PORT}: the default for listen and remote addresses. */
    public static final int DEFAULT_PORT = 8457;
    /** The default port of an {@code export} address (NBD's IANA port). */
    public static final int NBD_DEFAULT_PORT = 10809;
    /** The default port of a {@code source} address: let the kernel choose. */
    public static final int SOURCE_DEFAULT_PORT = 0;
    /** Linux {@code sun_path} is 108 bytes including the terminating NUL. */
    public static final int MAX_UDS_PATH_BYTES = 107;
    /** {@code MAXHOSTNAMELEN} is 256 including the NUL. */
    public static final int MAX_HOST_LENGTH = 255;

    public enum Kind {
        UDS,
        TCP
    }

    /** Which address family a TCP address may resolve to. */
    public enum Family {
        /** {@code tcp://} or no scheme: the first address the resolver gives. */
        ANY("tcp://"),
        INET4("tcp4://"),
        INET6("tcp6://");

        private final String scheme;

        Family(String scheme) {
            this.scheme = scheme;
        }

        public String scheme() {
            return scheme;
        }
    }

    private final String text;
    private final Kind kind;
    private final Family family;
    private final String host;
    private final int port;
    private final String path;

    private HastAddress(String text, Kind kind, Family family, String host, int port, String path) {
        this.text = text;
        this.kind = kind;
        this.family = family;
        this.host = host;
        this.port = port;
        this.path = path;
    }

    /**
     * Parses {@code text}; {@code defaultPort} applies when a TCP address has no port
     * ({@link #DEFAULT_PORT}, or {@link #SOURCE_DEFAULT_PORT} for {@code source}).
     */
    public static HastAddress parse(String text, int defaultPort) throws AddressException {
        if (defaultPort < 0 || defaultPort > 65535) {
            throw new IllegalArgumentException("default port out of range: " + defaultPort);
        }
        if (text == null || text.isEmpty()) {
            throw new AddressException("empty address");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("socketpair://")) {
            throw new AddressException("socketpair:// is internal and cannot be configured: '"
                    + text + "'");
        }
        if (lower.startsWith("uds://")) {
            return uds(text, text.substring("uds://".length()));
        }
        if (lower.startsWith("unix://")) {
            return uds(text, text.substring("unix://".length()));
        }
        if (text.startsWith("/") && !text.contains("://")) {
            return uds(text, text);
        }
        if (lower.startsWith("tcp4://")) {
            return tcp(text, Family.INET4, text.substring("tcp4://".length()), defaultPort);
        }
        if (lower.startsWith("tcp6://")) {
            return tcp(text, Family.INET6, text.substring("tcp6://".length()), defaultPort);
        }
        if (lower.startsWith("tcp://")) {
            return tcp(text, Family.ANY, text.substring("tcp://".length()), defaultPort);
        }
        int scheme = text.indexOf("://");
        if (scheme >= 0) {
            throw new AddressException("unknown address scheme '" + text.substring(0, scheme + 3)
                    + "' in '" + text + "'");
        }
        return tcp(text, Family.ANY, text, defaultPort);
    }

    private static HastAddress uds(String text, String path) throws AddressException {
        if (path.isEmpty()) {
            throw new AddressException("empty socket path in '" + text + "'");
        }
        if (path.indexOf('\0') >= 0) {
            throw new AddressException("NUL character in socket path '" + text + "'");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_UDS_PATH_BYTES) {
            throw new AddressException("socket path too long (at most " + MAX_UDS_PATH_BYTES
                    + " bytes) in '" + text + "'");
        }
        return new HastAddress(text, Kind.UDS, null, null, 0, path);
    }

    private static HastAddress tcp(String text, Family family, String hostPort, int defaultPort)
            throws AddressException {
        if (hostPort.isEmpty()) {
            throw new AddressException("missing host in '" + text + "'");
        }
        String host;
        int port = defaultPort;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new AddressException("missing ']' in '" + text + "'");
            }
            host = hostPort.substring(1, close);
            String after = hostPort.substring(close + 1);
            if (after.startsWith(":")) {
                port = parsePort(text, after.substring(1), defaultPort);
            } else if (!after.isEmpty()) {
                throw new AddressException("unexpected '" + after + "' after ']' in '" + text + "'");
            }
        } else {
            int first = hostPort.indexOf(':');
            if (first < 0) {
                host = hostPort;
            } else if (first == hostPort.lastIndexOf(':')) {
                host = hostPort.substring(0, first);
                port = parsePort(text, hostPort.substring(first + 1), defaultPort);
            } else {
                // Several colons and no brackets: an IPv6 literal without a port.
                host = hostPort;
            }
        }
        checkHost(text, family, host);
        return new HastAddress(text, Kind.TCP, family, host, port, null);
    }

    private static int parsePort(String text, String digits, int defaultPort)
            throws AddressException {
        String trimmed = digits;
        while (trimmed.length() > 1 && trimmed.charAt(0) == '0') {
            trimmed = trimmed.substring(1);
        }
        boolean numeric = !trimmed.isEmpty() && trimmed.length() <= 5;
        for (int i = 0; numeric && i < trimmed.length(); i++) {
            numeric = trimmed.charAt(i) >= '0' && trimmed.charAt(i) <= '9';
        }
        int min = defaultPort == 0 ? 0 : 1;
        int value = numeric ? Integer.parseInt(trimmed) : -1;
        if (value < min || value > 65535) {
            throw new AddressException("invalid port '" + digits + "' in '" + text + "'");
        }
        return value;
    }

    private static void checkHost(String text, Family family, String host)
            throws AddressException {
        if (host.isEmpty()) {
            throw new AddressException("missing host in '" + text + "'");
        }
        if (host.length() > MAX_HOST_LENGTH) {
            throw new AddressException("host name too long (at most " + MAX_HOST_LENGTH
                    + " characters) in '" + text + "'");
        }
        if (host.indexOf(':') >= 0) {
            if (!isIpv6Literal(host)) {
                throw new AddressException("invalid IPv6 address '" + host + "' in '" + text + "'");
            }
            if (family == Family.INET4) {
                throw new AddressException("IPv6 address with tcp4:// in '" + text + "'");
            }
            return;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_';
            if (!ok) {
                throw new AddressException("invalid host name '" + host + "' in '" + text + "'");
            }
        }
        if (family == Family.INET6 && isIpv4Literal(host)) {
            throw new AddressException("IPv4 address with tcp6:// in '" + text + "'");
        }
    }

    /** A dotted quad of decimal octets, e.g. {@code 10.0.0.1}. */
    static boolean isIpv4Literal(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3) {
                return false;
            }
            for (int i = 0; i < part.length(); i++) {
                if (part.charAt(i) < '0' || part.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 4291 text form: eight hex groups, or fewer around one {@code ::}, the last two groups
     * optionally a dotted quad, optionally a {@code %zone}. Checked here because the JDK would
     * send some malformed literals to the resolver instead of rejecting them.
     */
    static boolean isIpv6Literal(String text) {
        String address = text;
        int zone = address.indexOf('%');
        if (zone >= 0) {
            if (zone == address.length() - 1) {
                return false;
            }
            address = address.substring(0, zone);
        }
        int gap = address.indexOf("::");
        if (gap < 0) {
            return countGroups(address, true) == 8;
        }
        if (address.indexOf("::", gap + 1) >= 0) {
            return false;
        }
        int head = countGroups(address.substring(0, gap), false);
        int tail = countGroups(address.substring(gap + 2), true);
        return head >= 0 && tail >= 0 && head + tail <= 7;
    }

    private static int countGroups(String part, boolean ipv4TailAllowed) {
        if (part.isEmpty()) {
            return 0;
        }
        String[] fields = part.split(":", -1);
        int groups = 0;
        for (int i = 0; i < fields.length; i++) {
            String field = fields[i];
            if (ipv4TailAllowed && i == fields.length - 1 && field.indexOf('.') >= 0) {
                if (!isIpv4Literal(field)) {
                    return -1;
                }
                groups += 2;
                continue;
            }
            if (field.isEmpty() || field.length() > 4) {
                return -1;
            }
            for (int j = 0; j < field.length(); j++) {
                if (Character.digit(field.charAt(j), 16) < 0) {
                    return -1;
                }
            }
            groups++;
        }
        return groups;
    }

    /**
     * A TCP address whose host is {@code localhost}, an IPv4 literal in 127.0.0.0/8 or the IPv6
     * loopback (also as a v4-mapped 127.x literal); decided without any name lookup.
     */
    public boolean isLoopbackLiteral() {
        if (kind != Kind.TCP) {
            return false;
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (isIpv4Literal(host)) {
            return host.startsWith("127.");
        }
        if (host.indexOf(':') >= 0 && host.indexOf('%') < 0 && isIpv6Literal(host)) {
            try {
                // A literal: the JDK converts it without asking a resolver.
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /** The string this was parsed from. */
    public String text() {
        return text;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isUds() {
        return kind == Kind.UDS;
    }

    public boolean isTcp() {
        return kind == Kind.TCP;
    }

    /** The family of a TCP address; null for UDS. */
    public Family family() {
        return family;
    }

    /** The host name or literal (without brackets) of a TCP address; null for UDS. */
    public String host() {
        return host;
    }

    /** The port of a TCP address (explicit or default); 0 for UDS. */
    public int port() {
        return port;
    }

    /** The socket path of a UDS address; null for TCP. */
    public String path() {
        return path;
    }

    /**
     * Resolves a TCP address to the first address of its family, as the reference's
     * getaddrinfo call does. Literals are not looked up.
     */
    public InetSocketAddress toSocketAddress() throws AddressException {
        if (kind != Kind.TCP) {
            throw new IllegalStateException("not a TCP address: " + text);
        }
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException | SecurityException e) {
            throw new AddressException("cannot resolve host '" + host + "' in '" + text + "'");
        }
        for (InetAddress address : all) {
            boolean fits = family == Family.ANY
                    || (family == Family.INET4 && address instanceof Inet4Address)
                    || (family == Family.INET6 && address instanceof Inet6Address);
            if (fits) {
                return new InetSocketAddress(address, port);
            }
        }
        throw new AddressException("no " + (family == Family.INET4 ? "IPv4" : "IPv6")
                + " address for host '" + host + "' in '" + text + "'");
    }

    /** The socket address of a UDS address. */
    public UnixDomainSocketAddress toUnixSocketAddress() {
        if (kind != Kind.UDS) {
            throw new IllegalStateException("not a UDS address: " + text);
        }
        return UnixDomainSocketAddress.of(path);
    }

    /** Canonical form: {@code uds://<path>} or {@code <scheme><host>:<port>}, IPv6 bracketed. */
    @Override
    public String toString() {
        if (kind == Kind.UDS) {
            return "uds://" + path;
        }
        String shownHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return family.scheme() + shownHost + ":" + port;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof HastAddress)) {
            return false;
        }
        HastAddress that = (HastAddress) other;
        return kind == that.kind && family == that.family && port == that.port
                && Objects.equals(host, that.host) && Objects.equals(path, that.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, family, host, port, path);
    }
}
