package org.hast.daemon.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.hast.sys.FdPassing;
import org.hast.sys.RawUnixSocket;
import org.hast.sys.ReceivedFd;
import org.hast.sys.SocketDescriptors;
import org.hast.sys.SocketLibC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.hast.link.AdoptedSocket;
import org.hast.platform.host.HostPlatform;
import org.hast.transport.Transport;
import org.hast.transport.TransportChoice;

/**
 * Hand-over inside one JVM, two event loop groups standing for the main process and the worker:
 * the crux is that the sender's {@code close()} leaves the connection to the receiver, while
 * {@code shutdown()} would end it for both. On the epoll transport here, on NIO in
 * {@link NioSocketHandoffTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketHandoffTest {
    /** The transport both "processes" use. */
    Transport transport() {
        return TransportChoice.of("epoll");
    }

    private static final byte[] HEADER = "resource=r0".getBytes(StandardCharsets.US_ASCII);

    private EventLoopGroup mainGroup;
    private EventLoopGroup workerGroup;
    private AcceptingServer server;
    private int[] fdChannel;

    @BeforeEach
    void start() throws Exception {
        mainGroup = new MultiThreadIoEventLoopGroup(1, transport().ioHandlerFactory());
        workerGroup = new MultiThreadIoEventLoopGroup(1, transport().ioHandlerFactory());
        server = new AcceptingServer(transport(), mainGroup);
        fdChannel = RawUnixSocket.socketPair();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        mainGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        for (int fd : fdChannel) {
            if (fd >= 0) {
                SocketLibC.get().close(fd);
            }
        }
    }

    /** What {@code /proc/self/fd} says each open descriptor refers to ({@code socket:[inode]}, a path). */
    private static java.util.List<String> openTargets() throws IOException {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            }).toList();
        }
    }

    private static String target(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    }

    private Socket connect() throws IOException {
        Socket client = new Socket();
        client.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        client.setSoTimeout(5_000);
        return client;
    }

    private static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] bytes = in.readNBytes(length);
        assertEquals(length, bytes.length, "end of stream after " + bytes.length + " bytes");
        return bytes;
    }

    /** The connection is alive and unended: nothing arrives, not even end of file. */
    private static void assertQuiet(Socket client) throws IOException {
        client.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read());
        client.setSoTimeout(5_000);
    }

    private Channel receiveAndAdopt() throws Exception {
        byte[] buffer = new byte[64];
        ReceivedFd received = FdPassing.receiveFd(fdChannel[1], buffer);
        assertTrue(received.hasFd());
        assertArrayEquals(HEADER, java.util.Arrays.copyOf(buffer, received.length()));
        return AdoptedSocket.adopt(transport(), received.fd(), workerGroup, EchoHandler.INSTANCE).sync().channel();
    }

    @Test
    void senderCloseLeavesTheConnectionToTheReceiver() throws Exception {
        try (Socket client = connect()) {
            SocketChannel accepted = server.next();
            assertTrue(SocketDescriptors.isNonBlocking(transport().descriptor(accepted)));
            SocketHandoff.handOff(transport(), accepted, fdChannel[0], HEADER).get(10, TimeUnit.SECONDS);
            assertFalse(accepted.isOpen(), "the main process's copy is closed");

            Channel adopted = receiveAndAdopt();
            assertEquals(accepted.getClass(), adopted.getClass(), "a channel of the same transport");
            assertTrue(adopted.isActive());
            assertEquals(client.getLocalSocketAddress(), adopted.remoteAddress());
            assertQuiet(client);

            byte[] ping = "ping through the adopted socket".getBytes(StandardCharsets.US_ASCII);
            client.getOutputStream().write(ping);
            assertArrayEquals(ping, readExactly(client.getInputStream(), ping.length));

            client.shutdownOutput();
            assertEquals(-1, client.getInputStream().read(), "the worker closes when the client ends");
            assertTrue(adopted.closeFuture().await(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void senderShutdownWouldEndTheConnectionForTheReceiverToo() throws Exception {
        try (Socket client = connect()) {
            SocketChannel accepted = server.next();
            FdPassing.sendFd(fdChannel[0], transport().descriptor(accepted), HEADER);
            Channel adopted = receiveAndAdopt();
            // shutdown(2) acts on the connection, not on one descriptor: the client sees the
            // FIN at once although the receiver still holds the socket open.
            accepted.shutdown().sync();
            assertEquals(-1, client.getInputStream().read());
            assertTrue(adopted.closeFuture().await(5, TimeUnit.SECONDS),
                    "the receiver's channel sees its input shut down and closes");
            accepted.close().sync();
        }
    }

    @Test
    void handOffRefusesAConnectionThatIsAlreadyClosed() throws Exception {
        try (Socket client = connect()) {
            SocketChannel accepted = server.next();
            accepted.close().sync();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> SocketHandoff.handOff(transport(), accepted, fdChannel[0], HEADER).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IOException, e.toString());
        }
    }

    @Test
    void failedSendLeavesTheChannelOpenForAnAnswer() throws Exception {
        try (Socket client = connect()) {
            SocketChannel accepted = server.next();
            SocketLibC.get().close(fdChannel[1]);
            fdChannel[1] = -1;
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> SocketHandoff.handOff(transport(), accepted, fdChannel[0], HEADER).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().endsWith(": Broken pipe"), e.getCause().getMessage());
            assertTrue(accepted.isOpen());
            accepted.close().sync();
        }
    }

    @Test
    void adoptRefusesWhatIsNotATcpSocketAndClosesIt(@TempDir Path dir) throws Exception {
        int[] unix = RawUnixSocket.socketPair();
        SocketLibC.get().close(unix[1]);
        String unixSocket = target(unix[0]);
        IOException e = assertThrows(IOException.class,
                () -> AdoptedSocket.adopt(transport(), unix[0], workerGroup, EchoHandler.INSTANCE));
        assertTrue(e.getMessage().contains("is not a TCP socket (domain 1, type 5)"), e.getMessage());
        assertFalse(openTargets().contains(unixSocket), "the refused descriptor was closed");

        Path file = Files.createFile(dir.resolve("file"));
        int fd = org.hast.sys.LibC.get().open(file.toString(), HostPlatform.current().files().rdonly());
        IOException notSocket = assertThrows(IOException.class,
                () -> AdoptedSocket.adopt(transport(), fd, workerGroup, EchoHandler.INSTANCE));
        assertTrue(notSocket.getMessage().endsWith(": Socket operation on non-socket"), notSocket.getMessage());
        assertFalse(openTargets().contains(file.toRealPath().toString()), "the refused descriptor was closed");
    }

    @Test
    void adoptMakesABlockingSocketNonBlocking() throws Exception {
        try (Socket client = connect()) {
            SocketChannel accepted = server.next();
            FdPassing.sendFd(fdChannel[0], transport().descriptor(accepted), HEADER);
            transport().release(accepted).sync();
            byte[] buffer = new byte[64];
            int fd = FdPassing.receiveFd(fdChannel[1], buffer).fd();
            // As if a blocking Java accept had made it.
            SocketLibC libc = SocketLibC.get();
            libc.fcntl(fd, SocketLibC.F_SETFL,
                    libc.fcntl(fd, SocketLibC.F_GETFL, 0) & ~HostPlatform.current().files().nonblock());
            assertFalse(SocketDescriptors.isNonBlocking(fd));
            ChannelFuture registered = AdoptedSocket.adopt(transport(), fd, workerGroup, EchoHandler.INSTANCE).sync();
            assertTrue(SocketDescriptors.isNonBlocking(fd));
            client.getOutputStream().write(7);
            assertEquals(7, client.getInputStream().read());
            registered.channel().close().sync();
        }
    }
}
