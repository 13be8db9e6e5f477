package org.hast.conf;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;

/**
 * Tells whether this host can create sockets of an address family. Consulted only when no
 * {@code listen} line applies, to pick the default listen addresses (spec §1.6).
 */
@FunctionalInterface
public interface AddressFamilyProbe {

    boolean supported(StandardProtocolFamily family);

    /**
     * Tries to open a socket of the family. As in the reference ({@code family_supported}),
     * only "this family does not exist here" counts as unsupported; any other failure (out of
     * descriptors, ...) still counts as supported, so the later bind reports the real problem.
     */
    static AddressFamilyProbe system() {
        return AddressFamilyProbe::probe;
    }

    /** A fixed answer, for tests and for callers that already know. */
    static AddressFamilyProbe fixed(boolean inet4, boolean inet6) {
        return family -> family == StandardProtocolFamily.INET ? inet4
                : family == StandardProtocolFamily.INET6 && inet6;
    }

    private static boolean probe(ProtocolFamily family) {
        try (SocketChannel channel = SocketChannel.open(family)) {
            return channel != null;
        } catch (UnsupportedOperationException e) {
            return false;
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return !(message.contains("not supported") || message.contains("unavailable"));
        }
    }
}
