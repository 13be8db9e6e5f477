package org.hast.daemon.control;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.process.FatalThreads;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.sys.PrivateSocketBind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hastd's control socket (spec §2.8, decisions §6): a Unix socket with mode 0600 that accepts
 * one request per connection from root or the daemon's own user. Unlike the reference, which
 * serves one connection at a time, each connection has its own thread (at most
 * {@link #MAX_CONNECTIONS} at once): a status request waiting for a stuck worker must not hold
 * up a role change of another resource. A client gets {@link #REQUEST_LIMIT_MILLIS} to send its
 * request, so a silent or slow one cannot hold a thread.
 */
public final class ControlServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** A request names resources; a megabyte is far beyond any real one. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;
    static final long REQUEST_LIMIT_MILLIS = 5_000;
    private static final long REPLY_LIMIT_MILLIS = 120_000;
    /** More hastctl processes than this at once wait in the listen backlog. */
    static final int MAX_CONNECTIONS = 16;

    private final String address;
    private final Path path;
    private final ServerSocketChannel server;
    private final Function<NvMessage, CompletableFuture<NvWriter>> handler;
    private final ScheduledExecutorService deadlines;
    private final String ownUser = System.getProperty("user.name");
    private volatile boolean closed;
    /** Work to start once a given reply is out (hastctl stop must get its answer first). */
    private final Map<NvWriter, Runnable> afterReply = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Semaphore connectionSlots = new Semaphore(MAX_CONNECTIONS);
    /** Takes over connections that stream (hastctl events); null: none do. */
    private volatile Streams streams;

    /** A request answered by a stream rather than one reply. */
    public interface Streams {
        /**
         * Whether {@code request} asks for a stream; if so, it owns {@code client} from now on
         * and sends the reply itself.
         */
        boolean take(NvMessage request, SocketChannel client);
    }

    private ControlServer(String address, Path path, ServerSocketChannel server,
                          Function<NvMessage, CompletableFuture<NvWriter>> handler) {
        this.address = address;
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.deadlines = Executors.newSingleThreadScheduledExecutor(FatalThreads.factory("control-deadline"));
    }

    /**
     * Binds the socket at {@code path} (an old socket file there is removed first, as the
     * reference does). {@code handler} produces the reply, or a null reply to close silently.
     */
    public static ControlServer open(String address, Path path,
                                     Function<NvMessage, CompletableFuture<NvWriter>> handler) throws IOException {
        refuseIfServed(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            // Mode 0600 from the moment the path exists (a stale socket is replaced by the rename).
            PrivateSocketBind.bind(path, where -> server.bind(UnixDomainSocketAddress.of(where), 8));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        return new ControlServer(address, path, server, handler);
    }

    /**
     * The reference unlinks whatever is at the path; if a live daemon answers there, that would
     * cut it off from hastctl, so a socket that accepts connections is left alone.
     */
    private static void refuseIfServed(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            return;
        }
        throw new IOException("another hastd is serving " + path);
    }

    public String address() {
        return address;
    }

    /** Runs {@code task} once {@code reply} has been sent (or could not be). */
    public void afterReply(NvWriter reply, Runnable task) {
        afterReply.put(reply, task);
    }

    public void setStreams(Streams streams) {
        this.streams = streams;
    }

    public void start() {
        FatalThreads.start("control", this::acceptLoop);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                connectionSlots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                connectionSlots.release();
                if (!closed) {
                    LOG.warn("Unable to accept control connection: {}", e.getMessage());
                }
                continue;
            }
            FatalThreads.start("control-connection", () -> {
                boolean handedOff = false;
                try {
                    handedOff = serve(client);
                } finally {
                    connectionSlots.release();
                    if (!handedOff) {
                        closeQuietly(client);
                    }
                }
            });
        }
    }

    /** Serves one request; true when a stream took the connection over. */
    private boolean serve(SocketChannel client) {
        String user;
        try {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            user = peer.user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("Unable to obtain control client credentials: {}", e.getMessage());
            return false;
        }
        if (!"root".equals(user) && !user.equals(ownUser)) {
            LOG.warn("Control connection from user {} refused: only root and {} may control hastd.", user, ownUser);
            return false;
        }
        NvChannel channel = new NvChannel(client, MAX_REQUEST_BYTES);
        ScheduledFuture<?> deadline = deadline(client);
        if (deadline == null) {
            LOG.debug("Control connection accepted as the control socket closed; closing it.");
            return false;
        }
        NvMessage request;
        try {
            request = channel.receive();
        } catch (java.io.EOFException e) {
            // A client that connects and leaves (a liveness probe) is not an error.
            LOG.debug("Control connection closed before a request.");
            return false;
        } catch (IOException e) {
            LOG.error("Unable to receive control header: {}.", e.getMessage());
            return false;
        } finally {
            deadline.cancel(false);
        }
        Streams stream = streams;
        if (stream != null && stream.take(request, client)) {
            return true;
        }
        NvWriter reply;
        try {
            reply = handler.apply(request).get(REPLY_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.error("Unable to handle control request: {}", e.toString());
            return false;
        }
        if (reply == null) {
            return false;
        }
        Runnable then = afterReply.remove(reply);
        // Once the server is closed (a reload moved the control socket) there is no deadline, but
        // the reply to a request already handled still goes out: it fits in the socket's buffer.
        deadline = deadline(client);
        try {
            channel.send(reply);
        } catch (IOException e) {
            LOG.error("Unable to send control response: {}.", e.getMessage());
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (then != null) {
                then.run();
            }
        }
        return false;
    }

    /** Closes {@code client} after the request limit; null when this server is closed already. */
    private ScheduledFuture<?> deadline(SocketChannel client) {
        try {
            return deadlines.schedule(() -> closeQuietly(client), REQUEST_LIMIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private static void closeQuietly(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            // Closing to unblock a reader; nothing else to do.
        }
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Unable to remove control socket {}: {}", path, e.getMessage());
        }
        deadlines.shutdownNow();
    }
}
