package org.hast.daemon.net;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;

import org.hast.sys.FdPassing;
import org.hast.sys.RawUnixSocket;
import org.hast.sys.ReceivedFd;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.hast.transport.Transport;
import org.hast.link.AdoptedSocket;

/**
 * The worker's side, run in its own JVM by {@link CrossProcessHandoffTest}: connects to the fd
 * channel with plain libc calls, receives one TCP socket with its header, adopts it into Netty
 * and echoes on it until the client ends the connection. Reports "adopted &lt;header&gt; &lt;peer&gt;"
 * back over the fd channel once the channel is registered.
 *
 * <p>Exit codes: 0 done, 3 a message came without a descriptor, 1 anything else.
 */
public final class AdoptingEchoMain {
    private AdoptingEchoMain() {
    }

    public static void main(String[] args) throws Exception {
        int fdChannel = RawUnixSocket.connect(Paths.get(args[0]));
        byte[] buffer = new byte[256];
        ReceivedFd received = FdPassing.receiveFd(fdChannel, buffer);
        if (!received.hasFd()) {
            System.err.println("no descriptor came with the message");
            System.exit(3);
        }
        String header = new String(buffer, 0, received.length(), StandardCharsets.US_ASCII);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, Transport.current().ioHandlerFactory());
        try {
            Channel channel = AdoptedSocket.adopt(received.fd(), group, EchoHandler.INSTANCE).sync().channel();
            String report = "adopted " + header + " " + channel.remoteAddress();
            FdPassing.sendData(fdChannel, report.getBytes(StandardCharsets.US_ASCII));
            channel.closeFuture().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
            RawUnixSocket.close(fdChannel);
        }
        System.exit(0);
    }
}
