package org.hast.daemon.net;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.conf.LinkSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;

/**
 * TLS on the replication link ({@code tlscert}, {@code tlskey}, {@code tlsca}): TLS 1.3 only,
 * OpenSSL's engine or the JDK's ({@link #provider()}), a certificate required from both sides
 * and checked against the CA, then against the peer: it must name the peer's IP address or the
 * host of {@code remote} as a subjectAltName. The handshake runs in the process that keeps the socket: the primary worker
 * for its connections, the secondary worker after the hand-over (a TLS session cannot move
 * between processes).
 */
public final class LinkTls {
    private static final Logger LOG = LoggerFactory.getLogger(LinkTls.class);
    /** The handler's name in a pipeline: always first, below the frame codec. */
    public static final String HANDLER = "tls";
    /** Marks the first §4.3 header of a primary that will speak TLS (extension field). */
    public static final String FIELD_TLS = "tls";

    private LinkTls() {
    }

    /** The context of one side; the files are read now (at every connection set-up). */
    public static SslContext context(LinkSecurity security, boolean client) throws IOException {
        return context(security, client, provider());
    }

    /**
     * OpenSSL (BoringSSL, from netty-tcnative) where it loads: its AES-GCM is native code from
     * the first record, where the JDK's runs as Java until the JIT has compiled its intrinsics
     * (tens of seconds and hundreds of MB at a few tens of MB/s on a loaded machine). The JDK's
     * engine elsewhere (FreeBSD, other architectures, {@code -Dio.netty.handler.ssl.noOpenSsl=true}).
     */
    public static SslProvider provider() {
        return Engine.PROVIDER;
    }

    /** Chosen once per process, and said once in its log. */
    private static final class Engine {
        static final SslProvider PROVIDER = choose();

        private static SslProvider choose() {
            if (OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL)) {
                LOG.info("TLS engine: {}.", OpenSsl.versionString());
                return SslProvider.OPENSSL;
            }
            Throwable why = OpenSsl.unavailabilityCause();
            LOG.info("TLS engine: the JDK's (OpenSSL unavailable: {}).",
                    why == null ? "no TLS 1.3" : reason(why));
            return SslProvider.JDK;
        }
    }

    static SslContext context(LinkSecurity security, boolean client, SslProvider provider) throws IOException {
        try {
            SslContextBuilder builder = client
                    ? SslContextBuilder.forClient().keyManager(new File(security.tlsCert()), new File(security.tlsKey()))
                    : SslContextBuilder.forServer(new File(security.tlsCert()), new File(security.tlsKey()))
                            .clientAuth(ClientAuth.REQUIRE);
            return builder.trustManager(new File(security.tlsCa()))
                    .sslProvider(provider)
                    .protocols("TLSv1.3")
                    // The peer's name is checked by verifyPeer, against the configured remote.
                    .endpointIdentificationAlgorithm(null)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("unable to load TLS material (tlscert " + security.tlsCert() + ", tlskey "
                    + security.tlsKey() + ", tlsca " + security.tlsCa() + "): " + cause.getMessage(), e);
        }
    }

    /**
     * Puts TLS first in {@code channel}'s pipeline and waits for the handshake, then checks the
     * peer's certificate against {@code remote} (the resource's {@code remote} address).
     *
     * @throws IOException with the reason when the handshake fails, times out or the peer's
     *     certificate does not name it
     */
    public static void handshake(Channel channel, SslContext context, String remote, int timeoutSeconds)
            throws IOException {
        SslHandler handler = newHandler(channel, context, timeoutSeconds);
        channel.pipeline().addFirst(HANDLER, handler);
        awaitHandshake(channel, remote);
    }

    /** A handler for {@code channel}, to be put first in its pipeline before it reads anything. */
    public static SslHandler newHandler(Channel channel, SslContext context, int timeoutSeconds) {
        SslHandler handler = context.newHandler(channel.alloc());
        handler.setHandshakeTimeout(timeoutSeconds, TimeUnit.SECONDS);
        return handler;
    }

    /** Waits for the handshake of the {@link #HANDLER} in {@code channel}'s pipeline, then checks the peer. */
    public static void awaitHandshake(Channel channel, String remote) throws IOException {
        SslHandler handler = (SslHandler) channel.pipeline().get(HANDLER);
        if (handler == null) {
            // A failed handshake can close the channel, and closing empties its pipeline,
            // before anyone waits for it.
            throw new IOException("TLS handshake failed: the connection was closed"
                    + (channel.isActive() ? " (no TLS handler)" : " (does the peer speak TLS? a FreeBSD hastd does not)")
                    + ".");
        }
        if (!channel.config().isAutoRead()) {
            channel.read();
        }
        Future<Channel> done = handler.handshakeFuture().awaitUninterruptibly();
        if (!done.isSuccess()) {
            throw new IOException("TLS handshake failed: " + reason(done.cause()) + hint(done.cause()));
        }
        verifyPeer(handler, remote, ((InetSocketAddress) channel.remoteAddress()).getAddress());
    }

    /** The peer's certificate must name {@code peer} or the host of {@code remote}. */
    static void verifyPeer(SslHandler handler, String remote, InetAddress peer) throws IOException {
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) handler.engine().getSession().getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException e) {
            throw new IOException("TLS peer sent no certificate");
        }
        String host = hostOf(remote);
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IOException("TLS peer certificate unreadable: " + e.getMessage());
        }
        if (names != null) {
            for (List<?> name : names) {
                int type = (Integer) name.get(0);
                String value = String.valueOf(name.get(1));
                if (type == 7 && sameAddress(value, peer)) {
                    return;
                }
                if (type == 2 && host != null && value.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT))) {
                    return;
                }
            }
        }
        throw new IOException("TLS peer certificate (" + certificate.getSubjectX500Principal().getName()
                + ") names neither " + peer.getHostAddress() + (host == null ? "" : " nor " + host));
    }

    private static boolean sameAddress(String literal, InetAddress peer) {
        try {
            return InetAddress.getByName(literal).equals(peer);
        } catch (IOException e) {
            return false;
        }
    }

    private static String hostOf(String remote) {
        try {
            return HastAddress.parse(remote, HastAddress.DEFAULT_PORT).host();
        } catch (AddressException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What the failure may mean. A peer without TLS closes or answers in the clear; a silent one
     * may also be a secondary whose worker is still starting (its main process hands the
     * connection over only then), which a plain "does the peer speak TLS?" would hide.
     */
    private static String hint(Throwable cause) {
        if (causedBy(cause, io.netty.handler.ssl.SslHandshakeTimeoutException.class)) {
            return " (does the peer speak TLS? a FreeBSD hastd does not; or is the secondary's worker still starting?)";
        }
        if (causedBy(cause, io.netty.handler.ssl.NotSslRecordException.class)
                || causedBy(cause, java.nio.channels.ClosedChannelException.class)) {
            return " (does the peer speak TLS? a FreeBSD hastd does not)";
        }
        return "";
    }

    private static boolean causedBy(Throwable cause, Class<? extends Throwable> kind) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (kind.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String reason(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return message.length() > 200 ? message.substring(0, 200) + "..." : message;
    }
}
