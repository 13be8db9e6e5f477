package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code secret} and {@code tls*} keywords: where they stand, which wins, and the file checks. */
class LinkSecurityConfigTest {
    private static final String FILE = "/etc/hast.conf";
    private static final NodeIdentity HASTA = NodeIdentity.named("hasta");

    @TempDir
    Path dir;

    private Path secretFile(String permissions, String text) throws IOException {
        Path file = Files.createTempFile(dir, "secret", "");
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static String config(String global, String resource, String node) {
        return global + "\nresource r0 {\n" + resource + "\n on hasta {\n  local /dev/a\n  remote 10.0.0.2\n" + node
                + "\n }\n on hastb {\n  local /dev/b\n  remote 10.0.0.1\n }\n}\n";
    }

    private static LinkSecurity parse(String text) throws ConfigException {
        return ConfigParser.parse(text, FILE, HASTA, AddressFamilyProbe.fixed(true, false)).resources().get(0)
                .linkSecurity();
    }

    @Test
    void withoutTheKeywordsTheLinkIsPlain() throws Exception {
        assertTrue(parse(config("", "", "")).isPlain());
    }

    @Test
    void theMostSpecificLevelWins() throws Exception {
        Path global = secretFile("rw-------", "0123456789abcdef0123\n");
        Path resource = secretFile("r--------", "fedcba9876543210fedcba\n");
        LinkSecurity security = parse(config("secret " + global + "\ntlscert /g.pem\ntlskey /gk.pem\ntlsca /ca.pem",
                "secret " + resource, "tlscert /a.pem\n tlskey /ak.pem"));
        assertEquals(new LinkSecurity(resource.toString(), "/a.pem", "/ak.pem", "/ca.pem"), security);
        assertTrue(security.hasSecret() && security.hasTls());
    }

    @Test
    void aSecretOthersCanReadIsAConfigurationErrorOnItsLine() throws Exception {
        Path readable = secretFile("rw-r--r--", "0123456789abcdef0123\n");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(config("", "secret " + readable, "")));
        assertEquals(SysExits.EX_CONFIG, e.exitCode());
        assertEquals(FILE + ":3: secret " + readable + " must not be accessible by group or others (chmod 600 "
                + readable + ").", e.getMessage());
    }

    @Test
    void aMissingShortOrOverfullSecretIsRefused() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> parse(config("secret /nonexistent/secret", "", "")));
        assertEquals(FILE + ":1: secret /nonexistent/secret: unable to inspect: No such file or directory.",
                missing.getMessage());
        Path shortOne = secretFile("rw-------", "short\n");
        assertTrue(assertThrows(ConfigException.class, () -> parse(config("secret " + shortOne, "", "")))
                .getMessage().contains("at least 16 bytes"));
        Path three = secretFile("rw-------", "0123456789abcdef0\n0123456789abcdef1\n0123456789abcdef2\n");
        assertTrue(assertThrows(ConfigException.class, () -> parse(config("secret " + three, "", "")))
                .getMessage().contains("at most two"));
    }

    @Test
    void anIncompleteTlsSetNamesWhatIsMissing() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(config("tlscert /c.pem", "", "")));
        assertEquals(SysExits.EX_CONFIG, e.exitCode());
        assertEquals(FILE + ":1: TLS on the replication link needs tlscert, tlskey and tlsca; missing tlskey, tlsca.",
                e.getMessage());
    }

    @Test
    void anotherNodesTlsFilesDoNotApplyHere() throws Exception {
        String text = "resource r0 {\n on hasta {\n  local /dev/a\n  remote 10.0.0.2\n }\n"
                + " on hastb {\n  local /dev/b\n  remote 10.0.0.1\n  tlscert /b.pem\n }\n}\n";
        assertTrue(parse(text).isPlain());
    }
}
