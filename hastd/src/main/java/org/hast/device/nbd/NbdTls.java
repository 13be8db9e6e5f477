package org.hast.device.nbd;

import java.io.File;
import java.io.IOException;

import javax.net.ssl.SSLException;

import org.hast.conf.ExportTls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * The server side of an export's TLS (NBD_OPT_STARTTLS): the JDK's engine, TLS 1.2 or 1.3, and
 * a client certificate signed by the configured CA required in every handshake.
 */
final class NbdTls {
    private NbdTls() {
    }

    /** Loads the three PEM files; the key must be unencrypted PKCS#8 ("BEGIN PRIVATE KEY"). */
    static SslContext serverContext(ExportTls tls) throws IOException {
        try {
            return SslContextBuilder.forServer(new File(tls.cert()), new File(tls.key()))
                    .trustManager(new File(tls.ca()))
                    .clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("unable to load TLS material (exportcert " + tls.cert() + ", exportkey "
                    + tls.key() + ", exportca " + tls.ca() + "): " + cause.getMessage(), e);
        }
    }
}
