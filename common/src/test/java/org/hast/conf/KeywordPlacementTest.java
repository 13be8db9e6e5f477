package org.hast.conf;

import static org.hast.conf.ConfigTesting.MINIMAL_RESOURCE;
import static org.hast.conf.ConfigTesting.error;
import static org.hast.conf.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every statement keyword in every section (spec §1.3 table plus decisions §3): allowed
 * where the table says, a syntax error naming the keyword everywhere else, effective only in
 * this node's blocks.
 */
class KeywordPlacementTest {

    /** Where a sample statement is put; {@code %s} marks it. */
    enum Place {
        GLOBAL(Section.GLOBAL, true, "# global\n\n%s\n" + MINIMAL_RESOURCE),
        NODE_MINE(Section.NODE, true, "on hasta {\n\n%s\n}\n" + MINIMAL_RESOURCE),
        NODE_OTHER(Section.NODE, false, "on hastb {\n\n%s\n}\n" + MINIMAL_RESOURCE),
        RESOURCE(Section.RESOURCE, true,
                "resource r0 {\n local /dev/da0\n on hasta { remote none }\n%s\n}\n"),
        RESOURCE_NODE_MINE(Section.RESOURCE_NODE, true,
                "resource r0 {\n local /dev/da0\n on hasta.example.org { remote none }\n"
                        + " on hasta {\n%s\n }\n}\n"),
        RESOURCE_NODE_OTHER(Section.RESOURCE_NODE, false,
                "resource r0 {\n on hastb {\n%s\n }\n on hasta { local /dev/da0 remote none }\n}\n");

        final Section section;
        final boolean mine;
        final String template;

        Place(Section section, boolean mine, String template) {
            this.section = section;
            this.mine = mine;
            this.template = template;
        }

        String with(String statement) {
            return template.replace("%s", statement);
        }

        int line() {
            String before = template.substring(0, template.indexOf("%s"));
            return (int) before.chars().filter(c -> c == '\n').count() + 1;
        }
    }

    /** A keyword, a sample statement, where it may stand, and how to see its effect. */
    record Case(String keyword, String statement, Set<Section> allowed,
            Function<HastConfig, Object> effect, Object expected) {
    }

    private static ResourceConfig r0(HastConfig config) {
        return config.resource("r0").orElseThrow();
    }

    static List<Case> cases() {
        Set<Section> globalAndNode = EnumSet.of(Section.GLOBAL, Section.NODE);
        Set<Section> globalAndResource = EnumSet.of(Section.GLOBAL, Section.RESOURCE);
        Set<Section> resourceLevels = EnumSet.of(Section.RESOURCE, Section.RESOURCE_NODE);
        Set<Section> tlsPlaces = EnumSet.of(Section.GLOBAL, Section.RESOURCE, Section.RESOURCE_NODE);
        return List.of(
                new Case("control", "control /run/c.sock", globalAndNode,
                        HastConfig::controlAddress, "/run/c.sock"),
                new Case("pidfile", "pidfile /run/p.pid", globalAndNode,
                        HastConfig::pidfile, "/run/p.pid"),
                new Case("listen", "listen tcp://1.2.3.4", globalAndNode,
                        HastConfig::listenAddresses, List.of("tcp://1.2.3.4")),
                new Case("replication", "replication async", globalAndResource,
                        c -> r0(c).replication(), ReplicationMode.ASYNC),
                new Case("checksum", "checksum crc32", globalAndResource,
                        c -> r0(c).checksum(), ChecksumAlgorithm.CRC32),
                new Case("compression", "compression lzf", globalAndResource,
                        c -> r0(c).compression(), Compression.LZF),
                new Case("timeout", "timeout 5", globalAndResource,
                        c -> r0(c).timeoutSeconds(), 5),
                new Case("exec", "exec /bin/hook", globalAndResource,
                        c -> r0(c).exec(), "/bin/hook"),
                new Case("metaflush", "metaflush off",
                        EnumSet.of(Section.GLOBAL, Section.RESOURCE, Section.RESOURCE_NODE),
                        c -> r0(c).metaflush(), false),
                new Case("name", "name prov", resourceLevels,
                        c -> r0(c).providerName(), "prov"),
                new Case("local", "local /dev/x", resourceLevels,
                        c -> r0(c).localPath(), "/dev/x"),
                new Case("remote", "remote tcp://peer", EnumSet.of(Section.RESOURCE_NODE),
                        c -> r0(c).remoteAddress(), "tcp://peer"),
                new Case("source", "source tcp://src", EnumSet.of(Section.RESOURCE_NODE),
                        c -> r0(c).sourceAddress(), "tcp://src"),
                new Case("on", "on elsewhere { }", globalAndResource, null, null),
                new Case("resource", "resource r9 { on hasta { local /l remote none } }",
                        EnumSet.of(Section.GLOBAL), c -> c.resource("r9").isPresent(), true),
                new Case("device", "device nbd", globalAndResource,
                        c -> r0(c).device(), DeviceMode.NBD),
                new Case("localio", "localio direct", globalAndResource,
                        c -> r0(c).localIo(), LocalIoMode.DIRECT),
                new Case("devdir", "devdir /dev/hx", globalAndNode,
                        HastConfig::devdir, "/dev/hx"),
                new Case("export", "export tcp://127.0.0.1:10809", resourceLevels,
                        c -> r0(c).exportAddress(), "tcp://127.0.0.1:10809"),
                new Case("exportcert", "exportcert /etc/c.pem", tlsPlaces,
                        c -> r0(c).exportTls().cert(), "/etc/c.pem"),
                new Case("exportkey", "exportkey /etc/k.pem", tlsPlaces,
                        c -> r0(c).exportTls().key(), "/etc/k.pem"),
                new Case("exportca", "exportca /etc/ca.pem", tlsPlaces,
                        c -> r0(c).exportTls().ca(), "/etc/ca.pem"));
    }

    @TestFactory
    List<DynamicTest> everyKeywordInEveryPlace() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            for (Place place : Place.values()) {
                boolean allowed = c.allowed().contains(place.section);
                String name = c.keyword() + " in " + place + (allowed ? " is allowed" : " is refused");
                tests.add(DynamicTest.dynamicTest(name, () -> check(c, place, allowed)));
            }
        }
        return tests;
    }

    private static void check(Case c, Place place, boolean allowed) throws ConfigException {
        String text = place.with(c.statement());
        if (!allowed) {
            assertEquals("/etc/hast.conf:" + place.line() + ": syntax error near '" + c.keyword()
                    + "': not allowed in " + place.section.description(), error(text).getMessage());
            return;
        }
        HastConfig config = parse(text);
        if (c.effect() == null) {
            return;
        }
        Object seen = c.effect().apply(config);
        if (place.mine) {
            assertEquals(c.expected(), seen, text);
        } else {
            assertNotEquals(c.expected(), seen, text);
        }
    }

    @TestFactory
    List<DynamicTest> valueWordsNeverStartAStatement() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String word : List.of("off", "fullsync", "memsync", "async", "none", "crc32",
                "sha256", "hole", "lzf", "auto", "nbd", "42", "{", "localdisk")) {
            for (Place place : Place.values()) {
                tests.add(DynamicTest.dynamicTest(word + " in " + place, () -> {
                    String message = error(place.with(word + " x")).getMessage();
                    assertTrue(message.startsWith("/etc/hast.conf:" + place.line()
                            + ": syntax error near '" + word + "': expected a statement"), message);
                }));
            }
        }
        return tests;
    }
}
