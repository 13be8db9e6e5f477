package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalLong;

/** Shared helpers for the conf tests: a fixed node, both address families, one file name. */
final class ConfigTesting {
    static final String FILE = "/etc/hast.conf";
    /** This node answers to "hasta" (and its full name, UUID and hostid). */
    static final NodeIdentity HASTA = NodeIdentity.of("hasta.example.org",
            List.of("0123456789abcdef0123456789abcdef"), OptionalLong.of(3735928559L));
    static final NodeIdentity HASTB = NodeIdentity.named("hastb");
    static final AddressFamilyProbe BOTH = AddressFamilyProbe.fixed(true, true);

    /** A resource block valid for hasta, to pad configurations under test. */
    static final String MINIMAL_RESOURCE =
            "resource r0 {\n on hasta {\n  local /dev/da0\n  remote tcp://10.0.0.2\n }\n}\n";

    private ConfigTesting() {
    }

    static HastConfig parse(String text) throws ConfigException {
        return ConfigParser.parse(text, FILE, HASTA, BOTH);
    }

    static HastConfig parse(String text, NodeIdentity identity) throws ConfigException {
        return ConfigParser.parse(text, FILE, identity, BOTH);
    }

    static ConfigException error(String text) {
        return assertThrows(ConfigException.class, () -> parse(text));
    }

    static ConfigException error(String text, NodeIdentity identity) {
        return assertThrows(ConfigException.class, () -> parse(text, identity));
    }

    static String repeat(char c, int count) {
        return String.valueOf(c).repeat(count);
    }
}
