package org.hast.daemon.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.hast.sys.FdPassing;
import org.hast.sys.RawUnixSocket;
import org.hast.sys.ReceivedFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.hast.transport.Transport;
import org.hast.transport.TransportChoice;
import io.netty.channel.socket.SocketChannel;

/**
 * The hand-over as hastd does it, across two JVMs: this test is the main process (Netty epoll
 * listener on 127.0.0.1, fd channel listening in a private 0700 directory), a child JVM running
 * {@link AdoptingEchoMain} is the worker. The main process sends the accepted socket and
 * closes its copy before the client says a word; the client must then still reach the worker.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrossProcessHandoffTest {
    private static final byte[] HEADER = "resource=r0".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path temp;

    private Process startWorker(Path fdChannelPath) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        // Netty unpacks its native library here rather than in /tmp.
        command.add("-Dio.netty.native.workdir=" + temp);
        // The worker's transport is the test JVM's (HAST_TRANSPORT=nio runs this on NIO).
        command.add("-D" + TransportChoice.PROPERTY + "=" + Transport.current().name());
        command.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(AdoptingEchoMain.class.getName());
        command.add(fdChannelPath.toString());
        return new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(temp.resolve("worker.out").toFile())
                .redirectError(temp.resolve("worker.err").toFile())
                .start();
    }

    private String workerOutput() {
        try {
            return "\n--- worker stdout\n" + Files.readString(temp.resolve("worker.out"))
                    + "--- worker stderr\n" + Files.readString(temp.resolve("worker.err"));
        } catch (IOException e) {
            return "\n(worker output unreadable: " + e + ")";
        }
    }

    /** Accepts the worker's connection, giving up early if the worker died. */
    private int acceptWorker(int listening, Process worker) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!worker.isAlive()) {
                throw new AssertionError("worker exited with " + worker.exitValue() + workerOutput());
            }
            try {
                return RawUnixSocket.accept(listening, 200);
            } catch (SocketTimeoutException e) {
                // Still starting.
            }
        }
        throw new AssertionError("worker did not connect within 60 s" + workerOutput());
    }

    /** One message from the worker, or a failure naming what it printed; never hangs. */
    private String receiveReport(int fdChannel) throws Exception {
        CompletableFuture<String> report = CompletableFuture.supplyAsync(() -> {
            byte[] buffer = new byte[256];
            try {
                ReceivedFd message = FdPassing.receiveFd(fdChannel, buffer);
                assertFalse(message.hasFd());
                return new String(buffer, 0, message.length(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            return report.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            RawUnixSocket.shutdown(fdChannel); // wakes the reader
            throw new AssertionError("no report from the worker" + workerOutput());
        }
    }

    @Test
    void acceptedSocketMovesToAnotherJvmAndOutlivesTheSendersClose() throws Exception {
        Path dir = Files.createDirectory(temp.resolve("private"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path fdChannelPath = dir.resolve("w1.fd");
        int listening = RawUnixSocket.listen(fdChannelPath, 1);
        Process worker = startWorker(fdChannelPath);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, Transport.current().ioHandlerFactory());
        int fdChannel = -1;
        try (AcceptingServer server = new AcceptingServer(group)) {
            fdChannel = acceptWorker(listening, worker);
            assertEquals(worker.pid(), RawUnixSocket.peerPid(fdChannel), "the connection is the worker's");
            RawUnixSocket.close(listening);
            listening = -1;
            Files.delete(fdChannelPath);

            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                SocketChannel accepted = server.next();
                SocketHandoff.handOff(accepted, fdChannel, HEADER).get(10, TimeUnit.SECONDS);
                assertFalse(accepted.isOpen(), "the main process closed its copy");

                assertEquals("adopted resource=r0 " + client.getLocalSocketAddress(), receiveReport(fdChannel),
                        workerOutput());
                // The main process's close(2) ended nothing: no FIN, no reset.
                client.setSoTimeout(300);
                assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read());
                client.setSoTimeout(10_000);

                for (int round = 0; round < 3; round++) {
                    byte[] ping = ("ping " + round + " to the worker JVM").getBytes(StandardCharsets.US_ASCII);
                    client.getOutputStream().write(ping);
                    assertArrayEquals(ping, client.getInputStream().readNBytes(ping.length), workerOutput());
                }
                client.shutdownOutput();
                assertEquals(-1, client.getInputStream().read(), "the worker closes after the client's FIN");
            }
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS), "worker did not exit" + workerOutput());
            assertEquals(0, worker.exitValue(), workerOutput());
        } finally {
            if (worker.isAlive()) {
                worker.destroyForcibly();
                worker.waitFor(10, TimeUnit.SECONDS);
            }
            if (fdChannel >= 0) {
                RawUnixSocket.close(fdChannel);
            }
            if (listening >= 0) {
                RawUnixSocket.close(listening);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
