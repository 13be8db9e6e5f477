package org.hast.daemon.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code listen} address (spec §1.6, §3.5): a TCP socket with SO_REUSEADDR and backlog 8,
 * or a Unix socket (A20: opened, but every connection on it is refused with a log line).
 *
 * <p>Accepting the replication handshake is the replication link's job (issue 6); until then
 * an accepted connection is logged and closed, which a primary sees as a refused peer.
 */
public final class ReplicationListener implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationListener.class);

    private final String address;
    private final ServerSocketChannel server;
    private volatile boolean closed;

    private ReplicationListener(String address, ServerSocketChannel server) {
        this.address = address;
        this.server = server;
    }

    public static ReplicationListener open(String text) throws IOException {
        HastAddress address;
        try {
            address = HastAddress.parse(text, HastAddress.DEFAULT_PORT);
        } catch (AddressException e) {
            throw new IOException(e.getMessage(), e);
        }
        ServerSocketChannel server;
        if (address.isUds()) {
            java.nio.file.Files.deleteIfExists(java.nio.file.Paths.get(address.path()));
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(address.toUnixSocketAddress(), 8);
        } else {
            InetSocketAddress socketAddress;
            try {
                socketAddress = address.toSocketAddress();
            } catch (AddressException e) {
                throw new IOException(e.getMessage(), e);
            }
            server = ServerSocketChannel.open(socketAddress.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            try {
                server.bind(socketAddress, 8);
            } catch (IOException e) {
                server.close();
                throw e;
            }
        }
        ReplicationListener listener = new ReplicationListener(text, server);
        Thread thread = new Thread(listener::acceptLoop, "listen-" + text);
        thread.setDaemon(true);
        thread.start();
        return listener;
    }

    public String address() {
        return address;
    }

    private void acceptLoop() {
        while (!closed) {
            try (SocketChannel client = server.accept()) {
                Object peer = client.getRemoteAddress();
                if (peer instanceof InetSocketAddress) {
                    LOG.info("Connection from {} to {}.", peer, address);
                    LOG.warn("Replication connections are not served yet; closing the connection from {}.", peer);
                } else {
                    LOG.warn("Connection on Unix socket {} refused: replication needs TCP.", address);
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("Unable to accept connection on {}: {}", address, e.getMessage());
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("Unable to close {}: {}", address, e.getMessage());
        }
    }
}
