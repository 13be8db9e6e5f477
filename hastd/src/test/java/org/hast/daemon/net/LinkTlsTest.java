package org.hast.daemon.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.conf.LinkSecurity;
import org.hast.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;

/**
 * TLS on the replication link between two real sockets on 127.0.0.1, with certificates made by
 * openssl for each run: both sides verify each other against the CA and the peer's address; a
 * certificate of another CA, an expired one, one naming another address and a peer speaking
 * the plain protocol are refused with a reason. Each case runs with each engine; the handshake
 * also with the two mixed (a Linux node on OpenSSL, a FreeBSD node on the JDK's engine).
 */
class LinkTlsTest {
    private static final String REMOTE = "tcp4://127.0.0.1";

    @TempDir
    Path dir;
    private EventLoopGroup group;
    private TestCertificates ca;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    /** The client's engine, then the server's. */
    enum Engines {
        OPENSSL(SslProvider.OPENSSL, SslProvider.OPENSSL),
        JDK(SslProvider.JDK, SslProvider.JDK),
        OPENSSL_TO_JDK(SslProvider.OPENSSL, SslProvider.JDK),
        JDK_TO_OPENSSL(SslProvider.JDK, SslProvider.OPENSSL);

        final SslProvider client;
        final SslProvider server;

        Engines(SslProvider client, SslProvider server) {
            this.client = client;
            this.server = server;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        ca = TestCertificates.newCa(dir, "ca");
        ca.issue("good", "IP:127.0.0.1", 30);
    }

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private LinkSecurity security(TestCertificates authority, String name) {
        return new LinkSecurity("", dir.resolve(name + "-cert.pem").toString(), authority.key(name).toString(),
                authority.caCert().toString());
    }

    /**
     * OpenSSL where hastd ships it; elsewhere (FreeBSD) its cases are skipped, and
     * {@link #openSslIsTheEngineWhereTheShippedLibraryLoads} says why on Linux x86-64.
     */
    private static void assumeAvailable(SslProvider... engines) {
        for (SslProvider engine : engines) {
            org.junit.jupiter.api.Assumptions.assumeTrue(engine != SslProvider.OPENSSL
                    || io.netty.handler.ssl.OpenSsl.isAvailable(), "OpenSSL is unavailable on this platform");
        }
    }

    /** A server whose accepted channels start TLS with {@code server} before reading anything. */
    private int listen(SslContext server, boolean plain) {
        Channel listener = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (plain) {
                            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object hello) {
                                    io.netty.util.ReferenceCountUtil.release(hello);
                                    // What a plain secondary sends: its §4.3 reply, in clear.
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {2, 9, 0, 0, 0,
                                        'd', 'a', 't', 'a', 's', 'i', 'z', 'e', 0}));
                                }
                            });
                        } else {
                            channel.pipeline().addFirst(LinkTls.HANDLER, LinkTls.newHandler(channel, server, 5));
                        }
                        accepted.add(channel);
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    private Channel connect(int port) {
        return new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect("127.0.0.1", port).syncUninterruptibly().channel();
    }

    @Test
    void openSslIsTheEngineWhereTheShippedLibraryLoads() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64"), "hastd ships BoringSSL for Linux x86-64 only");
        assertEquals(SslProvider.OPENSSL, LinkTls.provider(),
                "netty-tcnative did not load: " + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
    }

    @ParameterizedTest
    @EnumSource(Engines.class)
    void nodesOfOneCaVerifyEachOther(Engines engines) throws Exception {
        assumeAvailable(engines.client, engines.server);
        int port = listen(LinkTls.context(security(ca, "good"), false, engines.server), false);
        Channel client = connect(port);
        LinkTls.handshake(client, LinkTls.context(security(ca, "good"), true, engines.client), REMOTE + ":" + port, 5);
        LinkTls.awaitHandshake(accepted.poll(5, TimeUnit.SECONDS), REMOTE);
        client.close();
    }

    @ParameterizedTest
    @EnumSource(value = Engines.class, names = {"OPENSSL", "JDK"})
    void aCertificateOfAnotherCaIsRefusedByBothSides(Engines engines) throws Exception {
        assumeAvailable(engines.client, engines.server);
        TestCertificates other = TestCertificates.newCa(dir, "other");
        other.issue("stranger", "IP:127.0.0.1", 30);
        int port = listen(LinkTls.context(security(ca, "good"), false, engines.server), false);
        Channel client = connect(port);
        IOException e = assertThrows(IOException.class, () -> LinkTls.handshake(client,
                LinkTls.context(security(other, "stranger"), true, engines.client), REMOTE + ":" + port, 5));
        assertTrue(e.getMessage().startsWith("TLS handshake failed: "), e.getMessage());
        IOException server = assertThrows(IOException.class,
                () -> LinkTls.awaitHandshake(accepted.poll(5, TimeUnit.SECONDS), REMOTE));
        assertTrue(server.getMessage().startsWith("TLS handshake failed: "), server.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = Engines.class, names = {"OPENSSL", "JDK"})
    void anExpiredCertificateIsRefused(Engines engines) throws Exception {
        assumeAvailable(engines.client, engines.server);
        ca.issue("expired", "IP:127.0.0.1", -1);
        int port = listen(LinkTls.context(security(ca, "expired"), false, engines.server), false);
        Channel client = connect(port);
        IOException e = assertThrows(IOException.class, () -> LinkTls.handshake(client,
                LinkTls.context(security(ca, "good"), true, engines.client), REMOTE + ":" + port, 5));
        assertTrue(e.getMessage().contains("NotAfter"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = Engines.class, names = {"OPENSSL", "JDK"})
    void aCertificateForAnotherAddressIsRefused(Engines engines) throws Exception {
        assumeAvailable(engines.client, engines.server);
        ca.issue("elsewhere", "IP:127.0.0.2,DNS:hastb.example.org", 30);
        int port = listen(LinkTls.context(security(ca, "elsewhere"), false, engines.server), false);
        Channel client = connect(port);
        IOException e = assertThrows(IOException.class, () -> LinkTls.handshake(client,
                LinkTls.context(security(ca, "good"), true, engines.client), REMOTE + ":" + port, 5));
        assertTrue(e.getMessage().contains("names neither 127.0.0.1"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"OPENSSL", "JDK"})
    void aPeerSpeakingThePlainProtocolIsNamed(SslProvider engine) throws Exception {
        assumeAvailable(engine);
        int port = listen(null, true);
        Channel client = connect(port);
        IOException e = assertThrows(IOException.class, () -> LinkTls.handshake(client,
                LinkTls.context(security(ca, "good"), true, engine), REMOTE + ":" + port, 5));
        assertTrue(e.getMessage().contains("does the peer speak TLS?"), e.getMessage());
    }

    @Test
    void aSilentPeerMayAlsoBeAWorkerStillStarting() throws Exception {
        // Nobody answers: what a secondary shows while its main process starts the worker.
        Channel listener = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter()).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        int port = ((java.net.InetSocketAddress) listener.localAddress()).getPort();
        Channel client = connect(port);
        IOException e = assertThrows(IOException.class, () -> LinkTls.handshake(client,
                LinkTls.context(security(ca, "good"), true, SslProvider.JDK), REMOTE + ":" + port, 1));
        assertTrue(e.getMessage().contains("does the peer speak TLS?"), e.getMessage());
        assertTrue(e.getMessage().contains("worker still starting"), e.getMessage());
        listener.close().syncUninterruptibly();
    }
}
