package org.hast.conf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What protects a resource's replication link (extension keywords {@code secret},
 * {@code tlscert}, {@code tlskey}, {@code tlsca}): a shared-secret file for the mutual HMAC
 * challenge at connection set-up, and TLS material. Paths only: the files are read when a
 * connection is set up, so replacing them needs no restart.
 *
 * @param secret  the shared-secret file, "" when unset
 * @param tlsCert PEM certificate (chain) of this node, "" when unset
 * @param tlsKey  its PEM PKCS#8 private key, "" when unset
 * @param tlsCa   PEM CA certificate(s) the peer's certificate must chain to, "" when unset
 */
public record LinkSecurity(String secret, String tlsCert, String tlsKey, String tlsCa) {
    public static final LinkSecurity NONE = new LinkSecurity("", "", "", "");

    public LinkSecurity {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(tlsCert, "tlsCert");
        Objects.requireNonNull(tlsKey, "tlsKey");
        Objects.requireNonNull(tlsCa, "tlsCa");
    }

    public boolean hasSecret() {
        return !secret.isEmpty();
    }

    /** All three TLS files are configured. */
    public boolean hasTls() {
        return !tlsCert.isEmpty() && !tlsKey.isEmpty() && !tlsCa.isEmpty();
    }

    /** Neither option: the link is byte for byte FreeBSD's. */
    public boolean isPlain() {
        return !hasSecret() && !hasTls();
    }

    /** The TLS keywords missing when some but not all are set; empty otherwise. */
    List<String> missingTls() {
        List<String> missing = new ArrayList<>();
        if (tlsCert.isEmpty() && tlsKey.isEmpty() && tlsCa.isEmpty()) {
            return missing;
        }
        if (tlsCert.isEmpty()) {
            missing.add("tlscert");
        }
        if (tlsKey.isEmpty()) {
            missing.add("tlskey");
        }
        if (tlsCa.isEmpty()) {
            missing.add("tlsca");
        }
        return missing;
    }
}
