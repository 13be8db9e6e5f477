package org.hast.device.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.device.BlockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The NBD export of one resource (decisions §3 {@code export}): a listener on a Unix socket
 * ({@code uds:///path}, {@code unix:///path} or a bare absolute path; mode 0600) or on TCP
 * ({@code tcp://127.0.0.1:PORT}, {@code tcp4://}, {@code tcp6://}; default port 10809), whose
 * connections go through the fixed-newstyle handshake into transmission.
 *
 * <p>At most {@link #MAX_CONNECTIONS} clients at a time; more are closed at accept with a log
 * line. {@link #close()} stops accepting, closes the clients and removes the socket file.
 */
public final class NbdServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);
    public static final int MAX_CONNECTIONS = 32;

    private final String address;
    private final Channel listener;
    private final ChannelGroup clients;
    private final EventLoopGroup ownGroup;
    private final AtomicInteger connections;
    /** The socket file and its identity, so close() never removes a successor's socket. */
    private final Path socketPath;
    private final Object socketFileKey;

    private NbdServer(String address, Channel listener, ChannelGroup clients, EventLoopGroup ownGroup,
            AtomicInteger connections, Path socketPath, Object socketFileKey) {
        this.address = address;
        this.listener = listener;
        this.clients = clients;
        this.ownGroup = ownGroup;
        this.connections = connections;
        this.socketPath = socketPath;
        this.socketFileKey = socketFileKey;
    }

    /** Serves {@code backend} as export {@code exportName} at {@code address}, on its own event loop thread. */
    public static NbdServer start(String address, String exportName, BlockBackend backend) throws IOException {
        return start(address, new NbdExport(exportName, backend));
    }

    /** Serves {@code export} at {@code address}, on its own event loop thread. */
    public static NbdServer start(String address, NbdExport export) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            return start(address, export, group, true);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** As above, on an epoll event loop group owned by the caller (not shut down by close()). */
    public static NbdServer start(String address, NbdExport export, EventLoopGroup group) throws IOException {
        return start(address, export, group, false);
    }

    private static NbdServer start(String address, NbdExport export, EventLoopGroup group, boolean owned)
            throws IOException {
        HastAddress parsed;
        try {
            parsed = HastAddress.parse(address, NbdProtocol.DEFAULT_PORT);
        } catch (AddressException e) {
            throw new IOException("export " + address + ": " + e.getMessage(), e);
        }
        ChannelGroup clients = new DefaultChannelGroup("nbd " + address, GlobalEventExecutor.INSTANCE);
        AtomicInteger connections = new AtomicInteger();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .childOption(ChannelOption.AUTO_READ, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        accept(address, export, channel, clients, connections);
                    }
                });
        SocketAddress bindTo;
        Path path = null;
        if (parsed.isUds()) {
            path = Paths.get(parsed.path());
            removeStaleSocket(path);
            bootstrap.channel(EpollServerDomainSocketChannel.class);
            bindTo = new DomainSocketAddress(path.toString());
        } else {
            InetSocketAddress inet;
            try {
                inet = parsed.toSocketAddress();
            } catch (AddressException e) {
                throw new IOException("export " + address + ": " + e.getMessage(), e);
            }
            SocketProtocolFamily family = inet.getAddress() instanceof Inet6Address
                    ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
            bootstrap.channelFactory(() -> new EpollServerSocketChannel(family))
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true);
            bindTo = inet;
        }
        Channel listener;
        try {
            listener = bootstrap.bind(bindTo).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding export " + address);
        } catch (RuntimeException e) {
            throw new IOException("export " + address + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
        Object key = null;
        if (path != null) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        }
        LOG.info("NBD export '{}' ({} bytes) listening on {}.", export.name(), export.backend().size(), address);
        return new NbdServer(address, listener, clients, owned ? group : null, connections, path, key);
    }

    private static void accept(String address, NbdExport export, Channel channel, ChannelGroup clients,
            AtomicInteger connections) {
        String peer = NbdTransmission.peer(channel);
        if (connections.incrementAndGet() > MAX_CONNECTIONS) {
            connections.decrementAndGet();
            LOG.warn("NBD export {}: refusing client {}: already {} connections.", address, peer, MAX_CONNECTIONS);
            channel.close();
            return;
        }
        clients.add(channel);
        LOG.debug("NBD export {}: client {} connected.", address, peer);
        channel.closeFuture().addListener(f -> {
            connections.decrementAndGet();
            LOG.debug("NBD export {}: client {} disconnected.", address, peer);
        });
        channel.pipeline().addLast("nbd-handshake", new NbdHandshakeHandler(export));
    }

    /** Removes a socket left by a previous run; refuses to remove anything that is not a socket. */
    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) {
            throw new IOException("export " + path + ": exists and is not a socket");
        }
        Files.delete(path);
    }

    public String address() {
        return address;
    }

    /** The bound address (with the real port when TCP). */
    public SocketAddress localAddress() {
        return listener.localAddress();
    }

    /** Clients connected now. */
    public int connectionCount() {
        return connections.get();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        clients.close().awaitUninterruptibly();
        if (socketPath != null) {
            try {
                Object key = Files.readAttributes(socketPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .fileKey();
                if (key != null && key.equals(socketFileKey)) {
                    Files.delete(socketPath);
                }
            } catch (IOException e) {
                LOG.debug("NBD export {}: socket file not removed: {}", address, e.toString());
            }
        }
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        LOG.info("NBD export {} closed.", address);
    }
}
