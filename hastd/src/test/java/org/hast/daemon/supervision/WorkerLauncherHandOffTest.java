package org.hast.daemon.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.conf.DeviceMode;
import org.hast.conf.ExportTls;
import org.hast.conf.LocalIoMode;
import org.hast.conf.ReplicationMode;
import org.hast.conf.ResourceConfig;
import org.hast.daemon.net.AcceptingServer;
import org.hast.proto.Role;
import org.hast.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;

/**
 * A secondary worker that dies before it took the replication connections the main process
 * holds for it (a role change right after the pair completed, as in SplitBrainIT): the main
 * process must close its copies at once, so the primary sees the connection end and retries,
 * instead of waiting for its handshake timeout (20 s) while the launcher waited up to 60 s for
 * a worker that would never connect.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkerLauncherHandOffTest {
    /** Far below the launcher's 60 s wait and the primary's 20 s timeout, far above a close. */
    private static final int PEER_PATIENCE_MILLIS = 10_000;

    private EventLoopGroup group;
    private AcceptingServer server;
    private WorkerLauncher launcher;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, Transport.current().ioHandlerFactory());
        server = new AcceptingServer(group);
        launcher = new WorkerLauncher(false);
    }

    @AfterEach
    void stop() throws Exception {
        launcher.close();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private Socket connect() throws IOException {
        Socket client = new Socket();
        client.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        return client;
    }

    @Test
    void aWorkerKilledBeforeItTookItsConnectionsLeavesNoneOpen() throws Exception {
        try (Socket in = connect(); Socket out = connect()) {
            List<SocketChannel> pair = List.of(server.next(), server.next());
            ResourceConfig resource = new ResourceConfig("r0", "r0", "/nonexistent/r0.img", "tcp://127.0.0.1",
                    "tcp://127.0.0.1", ReplicationMode.FULLSYNC, ChecksumAlgorithm.NONE, Compression.NONE, 20, "",
                    false, DeviceMode.NONE, "", ExportTls.NONE, LocalIoMode.DIRECT);
            WorkerHandle worker = launcher.launch(resource, Role.SECONDARY, 0, "/nonexistent", "/nonexistent",
                    new WorkerListener() {
                        @Override
                        public void onEvent(WorkerHandle handle, int code) {
                        }

                        @Override
                        public void onChannelLost(WorkerHandle handle, String reason) {
                        }
                    }, pair, null);
            // SIGTERM while its JVM is still starting: it never reaches its descriptor channel.
            worker.terminate(java.time.Duration.ofSeconds(30));
            assertFalse(worker.process().isAlive());

            for (Socket peer : List.of(in, out)) {
                peer.setSoTimeout(PEER_PATIENCE_MILLIS);
                try {
                    assertEquals(-1, peer.getInputStream().read(), "the connection ends, with nothing sent");
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the main process still holds the connection "
                            + PEER_PATIENCE_MILLIS + " ms after its worker died", e);
                }
            }
        }
    }
}
