package org.hast.conf;

import static org.hast.conf.ConfigTesting.HASTA;
import static org.hast.conf.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code integrity}, {@code syncmode} and {@code syncrate}: global defaults, per-resource values, errors. */
class IntegrityKeywordsTest {
    private static String conf(String global, String resource) {
        return global + "\nresource r {\n" + resource + "\n on hasta { local /tmp/r remote tcp://10.0.0.2 }\n"
                + " on hastb { local /tmp/r remote tcp://10.0.0.1 }\n}\n";
    }

    private static IntegrityConfig of(String global, String resource) throws ConfigException {
        return parse(conf(global, resource), HASTA).resource("r").orElseThrow().integrity();
    }

    @Test
    void offByDefault() throws ConfigException {
        assertEquals(IntegrityConfig.DEFAULTS, of("", ""));
    }

    @Test
    void resourceValuesOverGlobalOnes() throws ConfigException {
        assertEquals(new IntegrityConfig(true, false, 50L << 20, 0), of("integrity on\nsyncrate 50m", ""));
        assertEquals(new IntegrityConfig(false, true, 0, 20),
                of("integrity on\nsyncrate 50m", "integrity off\nsyncmode checksum\nsyncrate adaptive 20"));
        assertEquals(new IntegrityConfig(false, false, 0, 0), of("syncmode checksum\nsyncrate 1g",
                "syncmode plain\nsyncrate unlimited"));
        assertEquals(1048576, of("", "syncrate 1048576").syncRate());
        assertTrue(of("syncmode checksum", "").offersHashes());
    }

    @Test
    void badValuesAreErrorsOnTheirLine() {
        assertTrue(assertThrows(ConfigException.class, () -> of("", "syncrate 1k")).getMessage()
                .contains("too small"));
        assertTrue(assertThrows(ConfigException.class, () -> of("", "syncrate fast")).getMessage()
                .contains("not a number"));
        assertTrue(assertThrows(ConfigException.class, () -> of("", "syncrate adaptive")).getMessage()
                .contains("latency"));
        assertTrue(assertThrows(ConfigException.class, () -> of("syncmode fast", "")).getMessage()
                .contains("plain or checksum"));
        assertTrue(assertThrows(ConfigException.class, () -> of("integrity yes", "")).getMessage()
                .contains("on or off"));
    }
}
