package org.hast.conf;

/**
 * The link-security keywords ({@code secret}, {@code tlscert}, {@code tlskey}, {@code tlsca})
 * of one level of the file while parsing; null = not set at this level.
 */
final class LinkDraft {
    String secret;
    int secretLine;
    String tlsCert;
    String tlsKey;
    String tlsCa;
    int tlsLine;

    /** Whether {@code word} is one of these keywords. */
    static boolean isKeyword(String word) {
        return word.equals("secret") || word.equals("tlscert") || word.equals("tlskey") || word.equals("tlsca");
    }

    void set(String keyword, String value, int line) {
        switch (keyword) {
            case "secret" -> {
                secret = value;
                secretLine = line;
            }
            case "tlscert" -> tlsCert = value;
            case "tlskey" -> tlsKey = value;
            case "tlsca" -> tlsCa = value;
            default -> throw new IllegalArgumentException(keyword);
        }
        if (!keyword.equals("secret")) {
            tlsLine = line;
        }
    }

    /**
     * The most specific of {@code node}, {@code resource}, {@code global} per keyword, checked:
     * TLS all or nothing, the secret file readable by root only and well formed.
     */
    static LinkSecurity resolve(LinkDraft node, LinkDraft resource, LinkDraft global, String file, int resourceLine)
            throws ConfigException {
        LinkDraft secretFrom = node.secret != null ? node : resource.secret != null ? resource : global;
        String secret = secretFrom.secret != null ? secretFrom.secret : "";
        LinkSecurity security = new LinkSecurity(secret,
                first(node.tlsCert, resource.tlsCert, global.tlsCert),
                first(node.tlsKey, resource.tlsKey, global.tlsKey),
                first(node.tlsCa, resource.tlsCa, global.tlsCa));
        if (!security.missingTls().isEmpty()) {
            int line = Math.max(node.tlsLine, Math.max(resource.tlsLine, global.tlsLine));
            throw ConfigException.at(file, line > 0 ? line : resourceLine, "TLS on the replication link needs"
                    + " tlscert, tlskey and tlsca; missing " + String.join(", ", security.missingTls()) + ".");
        }
        if (security.hasSecret()) {
            try {
                SecretFile.read(secret);
            } catch (java.io.IOException e) {
                throw ConfigException.at(file, secretFrom.secretLine, e.getMessage());
            }
        }
        return security;
    }

    private static String first(String node, String resource, String global) {
        return node != null ? node : resource != null ? resource : global != null ? global : "";
    }
}
