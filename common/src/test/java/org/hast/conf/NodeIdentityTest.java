package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/** {@code on <node>} matching (spec §1.5, §13.1) and the HAST_NODE override (decisions §3). */
class NodeIdentityTest {
    private static final String MACHINE_ID = "4f1c2e9a7b3d4c5e8f9a0b1c2d3e4f50";
    private static final String DMI_UUID = "4C4C4544-0042-3510-8052-B4C04F4A4E32";

    private final NodeIdentity node = NodeIdentity.of("hasta.example.org",
            List.of(MACHINE_ID, DMI_UUID), OptionalLong.of(8323329L));

    @Test
    void hostnameExactlyAndCaseSensitive() {
        assertTrue(node.matches("hasta.example.org"));
        assertFalse(node.matches("HASTA.example.org"));
        assertFalse(node.matches("hasta.example"));
        assertFalse(node.matches("hasta.example.org."));
        assertFalse(node.matches(""));
        assertFalse(node.matches(null));
    }

    @Test
    void firstLabelOnlyWhenTheHostnameHasADot() {
        assertTrue(node.matches("hasta"));
        assertFalse(node.matches("hast"));
        assertFalse(node.matches("Hasta"));
        assertFalse(node.matches("example"));
        NodeIdentity plain = NodeIdentity.of("hastb", List.of(), OptionalLong.empty());
        assertTrue(plain.matches("hastb"));
        assertFalse(plain.matches("hast"));
        NodeIdentity leadingDot = NodeIdentity.of(".odd", List.of(), OptionalLong.empty());
        assertTrue(leadingDot.matches(".odd"));
        assertFalse(leadingDot.matches("odd"));
    }

    @Test
    void machineIdInEitherSpellingAndCase() {
        assertTrue(node.matches(MACHINE_ID));
        assertTrue(node.matches(MACHINE_ID.toUpperCase()));
        assertTrue(node.matches("4f1c2e9a-7b3d-4c5e-8f9a-0b1c2d3e4f50"));
        assertTrue(node.matches("4F1C2E9A-7B3D-4C5E-8F9A-0B1C2D3E4F50"));
        assertFalse(node.matches("4f1c2e9a7b3d4c5e8f9a0b1c2d3e4f5"));
        assertFalse(node.matches("4f1c2e9a7-b3d-4c5e-8f9a-0b1c2d3e4f50"));
        assertFalse(node.matches("4f1c2e9a7b3d4c5e8f9a0b1c2d3e4f51"));
    }

    @Test
    void dmiUuidInEitherSpellingAndCase() {
        assertTrue(node.matches(DMI_UUID));
        assertTrue(node.matches(DMI_UUID.toLowerCase()));
        assertTrue(node.matches("4c4c4544004235108052b4c04f4a4e32"));
        assertTrue(node.matches("4C4C4544004235108052B4C04F4A4E32"));
        assertFalse(node.matches("4c4c4544-0042-3510-8052-b4c04f4a4e33"));
    }

    @Test
    void hostidInDecimal() {
        assertTrue(node.matches("hostid8323329"));
        assertFalse(node.matches("hostid08323329"));
        assertFalse(node.matches("hostid7f0101"));
        assertFalse(node.matches("hostid"));
        NodeIdentity noHostid = NodeIdentity.of("h", List.of(), OptionalLong.empty());
        assertFalse(noHostid.matches("hostid0"));
    }

    @Test
    void glibcHostidDerivations() {
        assertEquals(OptionalLong.of(3735928559L),
                NodeIdentity.hostidFromFile(new byte[] {(byte) 0xef, (byte) 0xbe, (byte) 0xad, (byte) 0xde}));
        assertEquals(OptionalLong.of(0x04030201L),
                NodeIdentity.hostidFromFile(new byte[] {1, 2, 3, 4, 5}));
        assertEquals(OptionalLong.empty(), NodeIdentity.hostidFromFile(new byte[] {1, 2, 3}));
        // Debian's well-known 007f0101 for 127.0.1.1.
        assertEquals(0x007f0101L, NodeIdentity.hostidFromIpv4(new byte[] {127, 0, 1, 1}));
        assertEquals(0xa8c0010aL, NodeIdentity.hostidFromIpv4(new byte[] {(byte) 192, (byte) 168, 10, 1}));
        assertEquals(0xffffffffL, NodeIdentity.hostidFromIpv4(new byte[] {-1, -1, -1, -1}));
    }

    @Test
    void acceptableNames() {
        assertEquals("hasta, hasta.example.org, " + MACHINE_ID + ", " + DMI_UUID + ", hostid8323329",
                node.acceptableNames());
        assertEquals("hastb, hostid1", NodeIdentity.of("hastb", List.of(), OptionalLong.of(1))
                .acceptableNames());
        assertEquals("a, a.b", NodeIdentity.of("a.b", List.of(), OptionalLong.empty())
                .acceptableNames());
        assertEquals(".odd", NodeIdentity.of(".odd", List.of(), OptionalLong.empty())
                .acceptableNames());
        assertEquals("", NodeIdentity.of(null, List.of(), OptionalLong.empty()).acceptableNames());
    }

    @Test
    void hastNodeIsTheOnlyIdentity() throws IOException {
        NodeIdentity override = NodeIdentity.fromSystem(Map.of("HAST_NODE", "nodeA"));
        assertTrue(override.matches("nodeA"));
        assertFalse(override.matches("nodea"));
        assertFalse(override.matches("nodeB"));
        assertEquals("nodeA", override.acceptableNames());
        assertEquals("nodeA", override.override().orElseThrow());
        assertNull(override.hostname());
        String realHost = realHostname();
        if (realHost != null) {
            assertFalse(override.matches(realHost));
            assertTrue(NodeIdentity.fromSystem(Map.of()).matches(realHost));
            assertTrue(NodeIdentity.fromSystem(Map.of("HAST_NODE", "")).matches(realHost));
        }
        assertThrows(IllegalArgumentException.class, () -> NodeIdentity.named(""));
    }

    @Test
    void systemIdentityReadsTheHostname() throws IOException {
        NodeIdentity system = NodeIdentity.fromSystem(Map.of());
        String realHost = realHostname();
        if (realHost != null) {
            assertEquals(realHost, system.hostname());
            assertTrue(system.acceptableNames().contains(realHost));
        }
        assertFalse(system.override().isPresent());
        assertFalse(system.matches("surely-not-this-host-" + System.nanoTime()));
    }

    @Test
    void sourcesAreReadLazilyAndOnce() {
        AtomicInteger hostReads = new AtomicInteger();
        AtomicInteger uuidReads = new AtomicInteger();
        AtomicInteger hostidReads = new AtomicInteger();
        Supplier<String> host = () -> {
            hostReads.incrementAndGet();
            return "hasta.example.org";
        };
        Supplier<String> uuid = () -> {
            uuidReads.incrementAndGet();
            return MACHINE_ID;
        };
        Supplier<OptionalLong> hostid = () -> {
            hostidReads.incrementAndGet();
            return OptionalLong.of(5);
        };
        NodeIdentity lazy = new NodeIdentity(null, host, List.of(uuid), hostid);
        assertTrue(lazy.matches("hasta.example.org"));
        assertTrue(lazy.matches("hasta"));
        assertEquals(0, uuidReads.get());
        assertEquals(0, hostidReads.get());
        assertTrue(lazy.matches(MACHINE_ID));
        assertEquals(0, hostidReads.get());
        assertTrue(lazy.matches("hostid5"));
        assertFalse(lazy.matches("hastb"));
        lazy.acceptableNames();
        assertEquals(1, hostReads.get());
        assertEquals(1, uuidReads.get());
        assertEquals(1, hostidReads.get());
    }

    @Test
    void parserUsesEveryIdentity() throws ConfigException {
        for (String name : List.of("hasta", "hasta.example.org", MACHINE_ID,
                "4F1C2E9A-7B3D-4C5E-8F9A-0B1C2D3E4F50", DMI_UUID.toLowerCase(), "hostid8323329")) {
            HastConfig config = ConfigParser.parse("resource r { on " + name
                    + " { local /l remote none } }", "f", node, AddressFamilyProbe.fixed(true, true));
            assertEquals("/l", config.resources().get(0).localPath(), name);
        }
    }

    private static String realHostname() throws IOException {
        Path proc = Paths.get("/proc/sys/kernel/hostname");
        if (!Files.isReadable(proc)) {
            return null;
        }
        String name = Files.readString(proc).trim();
        return name.isEmpty() ? null : name;
    }
}
