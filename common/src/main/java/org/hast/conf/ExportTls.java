package org.hast.conf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The TLS material of an NBD export (extension keywords {@code exportcert}, {@code exportkey},
 * {@code exportca}): the server's certificate chain and its PKCS#8 private key, and the CA
 * that client certificates must be signed by. All three or none; with them the export
 * requires STARTTLS and a client certificate, and may listen on any address.
 *
 * @param cert PEM certificate (chain) path, "" when unset
 * @param key  PEM PKCS#8 private key path, "" when unset
 * @param ca   PEM CA certificate(s) path, "" when unset
 */
public record ExportTls(String cert, String key, String ca) {
    public static final ExportTls NONE = new ExportTls("", "", "");

    public ExportTls {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ca, "ca");
    }

    /** All three files are configured: the export speaks TLS only. */
    public boolean enabled() {
        return !cert.isEmpty() && !key.isEmpty() && !ca.isEmpty();
    }

    /** The keywords that are missing when some but not all are set; empty otherwise. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (cert.isEmpty() && key.isEmpty() && ca.isEmpty()) {
            return missing;
        }
        if (cert.isEmpty()) {
            missing.add("exportcert");
        }
        if (key.isEmpty()) {
            missing.add("exportkey");
        }
        if (ca.isEmpty()) {
            missing.add("exportca");
        }
        return missing;
    }
}
