package org.hast.conf;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided hast.conf text for {@link ConfigParser} (docs/fuzzing.md): whatever the
 * file holds, the outcome is a sound configuration or a one-line {@link ConfigException}
 * naming the file, never another exception ({@link ConfigFuzzTest#check}). The node identity
 * and the address families the host offers are fuzzed too.
 */
class ConfigCoverageFuzzTest {
    @FuzzTest
    void parse(FuzzedDataProvider data) {
        NodeIdentity identity = ConfigFuzzTest.IDENTITIES[
                data.consumeInt(0, ConfigFuzzTest.IDENTITIES.length - 1)];
        AddressFamilyProbe probe = ConfigFuzzTest.PROBES[
                data.consumeInt(0, ConfigFuzzTest.PROBES.length - 1)];
        String text = data.consumeRemainingAsString();
        ConfigFuzzTest.check(text, identity, probe, "coverage-guided input");
    }
}
