package org.hast.conf;

import java.net.InetSocketAddress;

/**
 * The {@code metrics} statement's argument: {@code port}, {@code host:port} or
 * {@code [v6-literal]:port}. A bare port binds the loopback address only: exposing the
 * endpoint beyond the host must be asked for by naming an address.
 */
public record MetricsAddress(String host, int port) {
    public static final String LOOPBACK = "127.0.0.1";

    public static MetricsAddress parse(String text) {
        String host;
        String port;
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            host = LOOPBACK;
            port = text;
        } else {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                throw invalid(text);
            }
            if (host.isEmpty()) {
                throw invalid(text);
            }
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
        if (number < 1 || number > 65535) {
            throw invalid(text);
        }
        return new MetricsAddress(host, number);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid metrics address " + text
                + " (expected port, host:port or [address]:port).");
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }
}
