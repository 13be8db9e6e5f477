package org.hast.conf;

import static org.hast.conf.ConfigTesting.error;
import static org.hast.conf.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;

/**
 * An {@code export} serves the whole resource to whoever connects, so without TLS it must stay
 * on this host (Unix socket or loopback TCP); with exportcert, exportkey and exportca it may
 * listen anywhere. Errors name the file and the line of the export in effect.
 */
class ExportAccessTest {
    private static final String TLS = "exportcert /etc/hast/c.pem\nexportkey /etc/hast/k.pem\nexportca /etc/hast/ca.pem\n";

    private static String resource(String exportLine) {
        return "resource r0 {\n local /l\n on hasta { remote none }\n " + exportLine + "\n}\n";
    }

    @Test
    void networkAddressesWithoutTlsAreConfigErrorsOnTheExportLine() {
        for (String address : new String[] {"tcp://0.0.0.0:10809", "0.0.0.0", "tcp4://10.0.0.1",
            "tcp6://[::]:10809", "tcp://[fe80::1]:10809", "tcp://nas.example.org:10809", "auto",
            "tcp://128.0.0.1", "tcp://127.0.0.1.example.org"}) {
            ConfigException e = error(resource("export " + address));
            assertEquals("/etc/hast.conf:4: export " + address + " is not a loopback address; an export"
                    + " reachable from the network needs exportcert, exportkey and exportca (TLS with"
                    + " client certificates).", e.getMessage());
            assertEquals(SysExits.EX_CONFIG, e.exitCode());
        }
    }

    @Test
    void unixSocketsAndLoopbackNeedNothing() throws ConfigException {
        for (String address : new String[] {"uds:///run/hast/r0.nbd", "/run/hast/r0.nbd", "unix:///x",
            "tcp://127.0.0.1:10809", "tcp4://127.9.8.7", "127.0.0.1", "tcp6://[::1]:10809",
            "tcp://localhost:10809", "tcp://[::ffff:127.0.0.1]:1"}) {
            ResourceConfig r = parse(resource("export " + address)).resources().get(0);
            assertEquals(address, r.exportAddress());
            assertFalse(r.exportTls().enabled());
        }
    }

    @Test
    void tlsAllowsAnyAddressWhateverTheOrderAndLevel() throws ConfigException {
        ResourceConfig global = parse(resource("export tcp://0.0.0.0:10809") + TLS).resources().get(0);
        assertEquals(new ExportTls("/etc/hast/c.pem", "/etc/hast/k.pem", "/etc/hast/ca.pem"), global.exportTls());
        assertTrue(global.exportTls().enabled());
        ResourceConfig node = parse("exportcert /g/c\nexportkey /g/k\nexportca /g/ca\n"
                + "resource r0 {\n local /l\n exportca /r/ca\n on hasta { remote none exportkey /n/k"
                + " export tcp://0.0.0.0 }\n on hastb { exportcert /other/c }\n}\n").resources().get(0);
        assertEquals(new ExportTls("/g/c", "/n/k", "/r/ca"), node.exportTls());
    }

    @Test
    void anIncompleteTlsSetIsAnErrorNamingWhatIsMissing() {
        assertEquals("/etc/hast.conf:5: export tcp://0.0.0.0: TLS needs exportcert, exportkey and exportca;"
                + " missing exportkey, exportca.",
                error("exportcert /c\n" + resource("export tcp://0.0.0.0")).getMessage());
        // Even on loopback: a half-configured TLS is a mistake, not a choice.
        assertEquals("/etc/hast.conf:4: export /run/x: TLS needs exportcert, exportkey and exportca;"
                + " missing exportcert.",
                error(resource("export /run/x") + "exportkey /k\nexportca /ca\n").getMessage());
        // Another node's TLS lines do not count.
        assertEquals("/etc/hast.conf:3: export tcp://0.0.0.0 is not a loopback address; an export"
                + " reachable from the network needs exportcert, exportkey and exportca (TLS with"
                + " client certificates).",
                error("resource r0 {\n local /l\n on hasta { remote none export tcp://0.0.0.0 }\n"
                        + " on hastb { exportcert /c exportkey /k exportca /ca }\n}\n").getMessage());
    }

    @Test
    void theLineIsThatOfTheExportInEffect() {
        assertEquals(6, error("resource r0 {\n export /run/ok\n local /l\n on hasta {\n remote none\n"
                + " export tcp://192.0.2.1\n }\n}\n").line());
    }

    @Test
    void tlsWithoutAnExportIsUnused() throws ConfigException {
        assertTrue(parse("exportcert /c\n" + resource("")).resources().get(0).exportTls().cert().equals("/c"));
    }
}
