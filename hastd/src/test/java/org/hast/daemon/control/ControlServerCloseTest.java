package org.hast.daemon.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.hast.daemon.channel.NvChannel;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload that moves the control socket closes the old server while a hastctl request on it
 * is being handled. Its reply must still go out, and the connection's thread must not die (a
 * dead thread takes hastd down: a CI run lost a daemon that way in DaemonLifecycleIT).
 */
class ControlServerCloseTest {
    @Test
    void aRequestHandledWhileTheServerClosesStillGetsItsReply(@TempDir Path dir) throws Exception {
        CountDownLatch received = new CountDownLatch(1);
        CompletableFuture<NvWriter> reply = new CompletableFuture<>();
        Path socket = dir.resolve("control.sock");
        ControlServer server = ControlServer.open("uds://" + socket, socket, request -> {
            received.countDown();
            return reply;
        });
        server.start();
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(socket));
            NvChannel channel = new NvChannel(client, ControlServer.MAX_REQUEST_BYTES);
            channel.send(new NvWriter().addUint8("cmd", 1));
            received.await(10, TimeUnit.SECONDS);
            server.close();
            reply.complete(new NvWriter().addInt16("error", 0));
            NvMessage answer = channel.receive();
            assertEquals(0, answer.getInt16("error"));
        }
    }
}
