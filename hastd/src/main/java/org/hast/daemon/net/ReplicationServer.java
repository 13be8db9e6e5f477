package org.hast.daemon.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.daemon.process.FatalThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.hast.transport.Transport;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.ReadTimeoutHandler;
import org.hast.link.HastFrameEncoder;
import org.hast.link.HastFrameDecoder;

/**
 * One {@code listen} address (spec §1.6, §3.5): a TCP listener on the process's transport (so
 * that accepted sockets can be handed to a worker), SO_REUSEADDR, backlog 8; or a Unix socket
 * (A20), opened but refusing every connection with a log line since a UDS peer has no address
 * to check against {@code remote}.
 */
public final class ReplicationServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationServer.class);
    /** {@code HAST_TIMEOUT}: the parent's handshake timeout. */
    static final int HANDSHAKE_TIMEOUT_SECONDS = 20;

    private final String address;
    private final Channel tcp;
    private final ServerSocketChannel uds;
    private volatile boolean closed;

    private ReplicationServer(String address, Channel tcp, ServerSocketChannel uds) {
        this.address = address;
        this.tcp = tcp;
        this.uds = uds;
    }

    public String address() {
        return address;
    }

    /** Opens {@code text}; accepted TCP connections go to {@code handshakes}. */
    public static ReplicationServer open(String text, EventLoopGroup group, HandshakeListener handshakes)
            throws IOException {
        HastAddress parsed;
        try {
            parsed = HastAddress.parse(text, HastAddress.DEFAULT_PORT);
        } catch (AddressException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (parsed.isUds()) {
            Files.deleteIfExists(Paths.get(parsed.path()));
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(parsed.toUnixSocketAddress(), 8);
            ReplicationServer listener = new ReplicationServer(text, null, server);
            FatalThreads.start("listen-" + text, listener::refuseUnixConnections);
            return listener;
        }
        InetSocketAddress socketAddress;
        try {
            socketAddress = parsed.toSocketAddress();
        } catch (AddressException e) {
            throw new IOException(e.getMessage(), e);
        }
        // One address family per listener, as tcp4:// and tcp6:// say (spec §1.6).
        io.netty.channel.socket.SocketProtocolFamily family =
                socketAddress.getAddress() instanceof java.net.Inet6Address
                        ? io.netty.channel.socket.SocketProtocolFamily.INET6
                        : io.netty.channel.socket.SocketProtocolFamily.INET;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                // IPv6 listeners are v6-only (Transport): Linux and the JDK listen dual-stack by
                // default, which would take the port from the tcp4 listener of the default pair
                // (tcp4://0.0.0.0 + tcp6://[::], spec §1.6); FreeBSD's IPv6 sockets are v6-only.
                .channelFactory(() -> Transport.current().newServerSocketChannel(family))
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 8)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, true)
                // A peer that half-closes after its header still gets its answer, as from the reference.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast("timeout", new ReadTimeoutHandler(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                                .addLast("decoder", new HastFrameDecoder(64 * 1024, 0))
                                .addLast("encoder", HastFrameEncoder.INSTANCE)
                                .addLast("auth", new AuthResponder(handshakes))
                                .addLast("handshake", new IncomingHandshakeHandler(text, handshakes));
                    }
                });
        try {
            Channel channel = bootstrap.bind(socketAddress).sync().channel();
            return new ReplicationServer(text, channel, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + text);
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private void refuseUnixConnections() {
        while (!closed) {
            try (java.nio.channels.SocketChannel client = uds.accept()) {
                LOG.warn("Connection on Unix socket {} refused: replication needs TCP (no peer address to check).",
                        address);
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
        if (tcp != null) {
            tcp.close().syncUninterruptibly();
        }
        if (uds != null) {
            try {
                uds.close();
                Files.deleteIfExists(Paths.get(HastAddress.parse(address, HastAddress.DEFAULT_PORT).path()));
            } catch (IOException | AddressException e) {
                LOG.warn("Unable to close {}: {}", address, e.getMessage());
            }
        }
    }
}
