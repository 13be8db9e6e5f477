package org.hast.daemon.supervision;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.hast.conf.ResourceConfig;
import org.hast.daemon.channel.NvChannel;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.daemon.process.FatalThreads;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.hast.util.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts worker JVMs (decisions §5). Each worker gets a private Unix socket in a directory only
 * the daemon's user can enter; the worker connects to it at start and that connection is its
 * channel. The worker's command line carries the literal title {@code hastd: <name> (<role>)}
 * that failover scripts look for with {@code pgrep -f}.
 */
public final class WorkerLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerLauncher.class);
    private static final long CONNECT_LIMIT_MILLIS = 60_000;
    /** How often the wait for a worker's descriptor channel checks that the worker still lives. */
    private static final long ALIVE_CHECK_MILLIS = 100;

    /**
     * The daemon's transport, passed on so that the worker adopts the sockets it is handed with
     * the same one; NIO reaches JDK internals to do that (org.hast.transport.JdkSocketChannels).
     */
    static List<String> transportFlags() {
        String name = org.hast.transport.Transport.current().name();
        List<String> flags = new java.util.ArrayList<>();
        flags.add("-D" + org.hast.transport.TransportChoice.PROPERTY + "=" + name);
        if (name.equals("nio")) {
            // One token: Daemonizer copies JVM options up to the first word without a dash.
            flags.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        }
        return flags;
    }

    private final Path socketDir;
    private final boolean foreground;
    private final AtomicLong sequence = new AtomicLong();

    public WorkerLauncher(boolean foreground) throws IOException {
        this.foreground = foreground;
        this.socketDir = WorkerSocketDirs.create(Paths.get(System.getProperty("java.io.tmpdir")));
    }

    public static String title(String resource, Role role) {
        return "hastd: " + resource + " (" + role.displayName() + ")";
    }

    /** Starts a worker for {@code resource} in {@code role}; it connects and configures itself. */
    public WorkerHandle launch(ResourceConfig resource, Role role, int debugLevel, String devdir,
                               String statedir, WorkerListener listener) throws IOException {
        return launch(resource, role, debugLevel, devdir, statedir, listener, List.of(), null);
    }

    /**
     * As above, and hands {@code handOff} (the secondary's two replication connections, in
     * order) to the worker over a second, descriptor-passing socket before its configuration;
     * {@code extraConfig} adds fields to that configuration.
     */
    public WorkerHandle launch(ResourceConfig resource, Role role, int debugLevel, String devdir,
                               String statedir, WorkerListener listener, List<io.netty.channel.socket.SocketChannel> handOff,
                               java.util.function.Consumer<NvWriter> extraConfig) throws IOException {
        long id = sequence.incrementAndGet();
        Path socketPath = socketDir.resolve("w" + id + ".sock");
        Path fdPath = socketDir.resolve("w" + id + ".fd");
        int fdListener = handOff.isEmpty() ? -1 : org.hast.sys.RawUnixSocket.listen(fdPath, 1);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        server.configureBlocking(false);
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(WorkerJvmOptions.of(System.getenv()));
        command.addAll(sharedArchiveFlags());
        command.addAll(transportFlags());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("org.hast.worker.WorkerMain");
        command.add(title(resource.name(), role));
        command.add(socketPath.toString());
        if (fdListener >= 0) {
            command.add(fdPath.toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        WorkerJvmOptions.applyEnvironment(builder.environment());
        builder.redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()));
        if (foreground) {
            builder.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            server.close();
            Files.deleteIfExists(socketPath);
            closeFdListener(fdListener, fdPath);
            throw e;
        }
        NvWriter config = WorkerProtocol.configRequest(resource, role, debugLevel, foreground, devdir,
                statedir);
        if (extraConfig != null) {
            extraConfig.accept(config);
        }
        WorkerHandle handle = new WorkerHandle(resource.name(), role, process, config, listener);
        if (!handOff.isEmpty()) {
            // A worker that dies before it took the connections (a role change right after the
            // pair completed) must not leave the primary waiting for its handshake timeout on our
            // copies. Those already handed over are closed here already: a second close does nothing.
            process.onExit().thenRun(() -> handOff.forEach(io.netty.channel.Channel::close));
        }
        FatalThreads.start("worker-accept-" + resource.name(), () -> {
            if (fdListener >= 0 && !handOver(fdListener, fdPath, handle, handOff)) {
                handOff.forEach(io.netty.channel.Channel::close);
                handle.process().destroy();
                handle.failToAttach(new IOException("hand-over of the replication connections failed"));
                try {
                    server.close();
                    Files.deleteIfExists(socketPath);
                } catch (IOException e) {
                    // Nothing more to undo.
                }
                return;
            }
            awaitConnection(server, socketPath, handle);
        });
        return handle;
    }

    /** Passes the sockets: accept the worker's descriptor channel, send each, close ours. */
    private static boolean handOver(int fdListener, Path fdPath, WorkerHandle handle,
                                    List<io.netty.channel.socket.SocketChannel> handOff) {
        int fdChannel = -1;
        try {
            fdChannel = acceptWhileAlive(fdListener, handle.process());
            if (org.hast.sys.RawUnixSocket.peerPid(fdChannel) != handle.pid()) {
                LOG.error("A process other than worker {} connected to its descriptor channel.", handle.pid());
                return false;
            }
            byte[] label = {'s'};
            for (io.netty.channel.socket.SocketChannel channel : handOff) {
                io.netty.channel.ChannelPromise done = org.hast.daemon.net.SocketHandoff.handOff(channel, fdChannel, label);
                if (!done.await(CONNECT_LIMIT_MILLIS) || !done.isSuccess()) {
                    LOG.error("Unable to pass a connection to worker {}: {}", handle.pid(),
                            done.cause() == null ? "timed out" : done.cause().getMessage());
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            if (handle.process().isAlive()) {
                LOG.error("Unable to pass connections to worker {}: {}", handle.pid(), IoErrors.describe(e));
            } else {
                LOG.debug("Connections not passed: {}.", IoErrors.describe(e)); // its exit is logged already
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (fdChannel >= 0) {
                try {
                    org.hast.sys.RawUnixSocket.close(fdChannel);
                } catch (IOException e) {
                    // Already gone with the worker.
                }
            }
            closeFdListener(fdListener, fdPath);
        }
    }

    /** The worker's descriptor channel; gives up as soon as the worker is gone. */
    private static int acceptWhileAlive(int fdListener, Process worker) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_LIMIT_MILLIS);
        while (true) {
            try {
                return org.hast.sys.RawUnixSocket.accept(fdListener, ALIVE_CHECK_MILLIS);
            } catch (SocketTimeoutException e) {
                if (!worker.isAlive()) {
                    throw new IOException("worker " + worker.pid() + " ended before it took its connections");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new SocketTimeoutException("worker " + worker.pid() + " did not connect within "
                            + CONNECT_LIMIT_MILLIS + " ms");
                }
            }
        }
    }

    private static void closeFdListener(int fdListener, Path fdPath) {
        if (fdListener < 0) {
            return;
        }
        try {
            org.hast.sys.RawUnixSocket.close(fdListener);
            Files.deleteIfExists(fdPath);
        } catch (IOException e) {
            // Best effort: the directory goes at exit.
        }
    }

    private static void awaitConnection(ServerSocketChannel server, Path socketPath, WorkerHandle handle) {
        long deadline = System.currentTimeMillis() + CONNECT_LIMIT_MILLIS;
        try (server) {
            while (System.currentTimeMillis() < deadline && handle.process().isAlive()) {
                SocketChannel client = server.accept();
                if (client != null) {
                    client.configureBlocking(true);
                    handle.attach(new NvChannel(client, WorkerProtocol.MAX_MESSAGE_BYTES));
                    return;
                }
                Thread.sleep(5);
            }
            handle.failToAttach(new IOException("worker did not connect"));
        } catch (IOException e) {
            LOG.warn("Unable to accept the worker's channel", e);
            handle.failToAttach(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handle.failToAttach(e);
        } finally {
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException e) {
                // The directory is removed at exit anyway.
            }
        }
    }

    /**
     * The workers' class-data-sharing archive made at build time beside hastd.jar, when there;
     * a stale one is ignored by the JVM, silently (its own logging about it is off).
     */
    private static List<String> sharedArchiveFlags() {
        String classPath = System.getProperty("java.class.path");
        Path archive = Paths.get(classPath).toAbsolutePath().resolveSibling("worker.jsa");
        if (classPath.contains(java.io.File.pathSeparator) || !Files.isReadable(archive)) {
            return List.of();
        }
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }

    /** Removes the private directory (at daemon exit). */
    public void close() {
        try (var files = Files.list(socketDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(socketDir);
        } catch (IOException e) {
            // Best effort at exit.
        }
    }
}
