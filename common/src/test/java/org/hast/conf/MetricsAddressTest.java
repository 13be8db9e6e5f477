package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code metrics} statement (issue #16): loopback unless an address is named, bad ones refused. */
class MetricsAddressTest {
    @Test
    void aBarePortIsLoopback() {
        assertEquals(new MetricsAddress("127.0.0.1", 9457), MetricsAddress.parse("9457"));
        assertEquals(new MetricsAddress("10.0.0.1", 80), MetricsAddress.parse("10.0.0.1:80"));
        assertEquals(new MetricsAddress("::1", 9457), MetricsAddress.parse("[::1]:9457"));
    }

    @Test
    void badAddressesAreRefused() {
        for (String bad : new String[] {"", "0", "65536", "x", "host:", ":80", "::1:80", "a:b"}) {
            assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse(bad), bad);
        }
    }

    @Test
    void theStatementIsGlobalAndOffByDefault(@TempDir Path dir) throws Exception {
        String resource = "resource r0 {\n on a { local /dev/null\n remote none }\n}\n";
        Path off = dir.resolve("off.conf");
        Files.writeString(off, resource);
        NodeIdentity identity = NodeIdentity.named("a");
        assertEquals("", ConfigParser.load(off, identity).metricsAddress());
        Path on = dir.resolve("on.conf");
        Files.writeString(on, "metrics 9457\n" + resource);
        assertEquals("9457", ConfigParser.load(on, identity).metricsAddress());
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "metrics 99999\n" + resource);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.load(bad, identity));
        assertTrue(e.getMessage().contains("invalid metrics address 99999"), e.getMessage());
        assertEquals(org.hast.util.SysExits.EX_CONFIG, e.exitCode());
    }
}
