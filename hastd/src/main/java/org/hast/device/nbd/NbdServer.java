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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.hast.conf.AddressException;
import org.hast.conf.ExportTls;
import org.hast.conf.HastAddress;
import org.hast.daemon.process.FatalThreads;
import org.hast.block.BlockBackend;
import org.hast.sys.PrivateSocketBind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.hast.transport.Transport;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The NBD export of one resource (decisions §3 {@code export}): a listener on a Unix socket
 * ({@code uds:///path}, {@code unix:///path} or a bare absolute path; mode 0600 from the start,
 * see {@link PrivateSocketBind}) or on TCP ({@code tcp://127.0.0.1:PORT}, {@code tcp4://},
 * {@code tcp6://}; default port 10809), whose connections go through the fixed-newstyle
 * handshake into transmission.
 *
 * <p>Without TLS a TCP export must resolve to a loopback address (the configuration already
 * refuses other literals; this catches a name that resolves elsewhere). With TLS
 * ({@link ExportTls}) any address is allowed and every client must negotiate STARTTLS and
 * present a certificate signed by the configured CA before anything else.
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

    /** WRITE payload bytes the clients' sockets wrote straight into their requests' buffers (tests). */
    long payloadBytesReadInPlace() {
        long sum = 0;
        for (Channel client : clients) {
            NbdRequestDecoder decoder = client.pipeline().get(NbdRequestDecoder.class);
            sum += decoder == null ? 0 : decoder.bytesReadInPlace();
        }
        return sum;
    }

    /** Serves {@code backend} as export {@code exportName} at {@code address}, on its own event loop thread. */
    public static NbdServer start(String address, String exportName, BlockBackend backend) throws IOException {
        return start(address, new NbdExport(exportName, backend), ExportTls.NONE);
    }

    /** As above; with {@code tls} enabled, only over TLS with a client certificate. */
    public static NbdServer start(String address, String exportName, BlockBackend backend, ExportTls tls)
            throws IOException {
        return start(address, new NbdExport(exportName, backend), tls);
    }

    /**
     * As above, on {@code group} (one of the process's transport, not shut down by close()), or
     * on an event loop thread of its own when null.
     */
    public static NbdServer start(String address, String exportName, BlockBackend backend, ExportTls tls,
            EventLoopGroup group) throws IOException {
        if (group == null) {
            return start(address, new NbdExport(exportName, backend), tls);
        }
        return start(address, new NbdExport(exportName, backend), group, false,
                tls.enabled() ? NbdTls.serverContext(tls) : null);
    }

    /** Serves {@code export} at {@code address}, on its own event loop thread. */
    public static NbdServer start(String address, NbdExport export) throws IOException {
        return start(address, export, ExportTls.NONE);
    }

    private static NbdServer start(String address, NbdExport export, ExportTls tls) throws IOException {
        SslContext context = tls.enabled() ? NbdTls.serverContext(tls) : null;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, FatalThreads.eventLoops("nbd-export"),
                Transport.current().ioHandlerFactory());
        try {
            return start(address, export, group, true, context);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** As above, on an event loop group of the process's transport owned by the caller (not shut down by close()). */
    public static NbdServer start(String address, NbdExport export, EventLoopGroup group) throws IOException {
        return start(address, export, group, false, null);
    }

    private static NbdServer start(String address, NbdExport export, EventLoopGroup group, boolean owned,
            SslContext tls) throws IOException {
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
                        accept(address, export, tls, channel, clients, connections);
                    }
                });
        if (parsed.isUds()) {
            Path path = Paths.get(parsed.path());
            refuseNonSocket(path);
            bootstrap.channelFactory(Transport.current()::newServerDomainSocketChannel);
            Channel[] bound = new Channel[1];
            try {
                PrivateSocketBind.bind(path, where -> bound[0] = bind(bootstrap, Transport.current().unixAddress(where.toString()),
                        address));
            } catch (IOException e) {
                if (bound[0] != null) {
                    bound[0].close();
                }
                throw new IOException("export " + address + ": " + e.getMessage(), e);
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return started(address, export, bound[0], clients, owned ? group : null, connections, path, key, tls);
        }
        InetSocketAddress inet;
        try {
            inet = parsed.toSocketAddress();
        } catch (AddressException e) {
            throw new IOException("export " + address + ": " + e.getMessage(), e);
        }
        if (tls == null && !inet.getAddress().isLoopbackAddress()) {
            throw new IOException("export " + address + ": " + inet.getAddress().getHostAddress()
                    + " is not a loopback address and no TLS is configured");
        }
        SocketProtocolFamily family = inet.getAddress() instanceof Inet6Address
                ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        bootstrap.channelFactory(() -> Transport.current().newServerSocketChannel(family))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true);
        Channel listener = bind(bootstrap, inet, address);
        return started(address, export, listener, clients, owned ? group : null, connections, null, null, tls);
    }

    private static Channel bind(ServerBootstrap bootstrap, SocketAddress where, String address) throws IOException {
        try {
            return bootstrap.bind(where).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding export " + address);
        } catch (RuntimeException e) {
            throw new IOException("export " + address + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
    }

    private static NbdServer started(String address, NbdExport export, Channel listener, ChannelGroup clients,
            EventLoopGroup ownGroup, AtomicInteger connections, Path path, Object key, SslContext tls) {
        LOG.info("NBD export '{}' ({} bytes) listening on {}{}.", export.name(), export.backend().size(), address,
                tls != null ? " (TLS with client certificates required)" : "");
        return new NbdServer(address, listener, clients, ownGroup, connections, path, key);
    }

    private static void accept(String address, NbdExport export, SslContext tls, Channel channel,
            ChannelGroup clients, AtomicInteger connections) {
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
        NbdRequestDecoder.lendReadsOf(channel);
        channel.pipeline().addLast("nbd-handshake", new NbdHandshakeHandler(export, tls));
    }

    /** A socket left by a previous run is replaced by the bind; anything else at the path is refused. */
    private static void refuseNonSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isOther()) {
            throw new IOException("export " + path + ": exists and is not a socket");
        }
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
