package org.hast.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.hast.proto.Role;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every metadata area the reference wrote (vectors/metadata): decoded from the raw and the
 * zeroed copy, checked against {@code hastctl dump}, re-encoded to the exact 4096 bytes.
 */
class MetadataVectorsTest {
    private static final String PATH = "/var/lib/hast/vectors/run/a/disk.img";

    @TestFactory
    Stream<DynamicTest> everyMetadataVector() throws IOException {
        Path dir = Requirements.vector("metadata/default_64M.zeroed.bin").getParent();
        List<Path> zeroed;
        try (Stream<Path> list = Files.list(dir)) {
            zeroed = list.filter(p -> p.getFileName().toString().endsWith(".zeroed.bin"))
                    .sorted().collect(Collectors.toList());
        }
        assertEquals(12, zeroed.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : zeroed) {
            String name = file.getFileName().toString().replace(".zeroed.bin", "");
            tests.add(DynamicTest.dynamicTest(name, () -> check(dir, name)));
        }
        return tests.stream();
    }

    private static void check(Path dir, String name) throws Exception {
        Metadata want = fromDump(Files.readAllLines(dir.resolve(name + ".dump.txt")));
        byte[] zeroed = Files.readAllBytes(dir.resolve(name + ".zeroed.bin"));
        byte[] raw = Files.readAllBytes(dir.resolve(name + ".bin"));
        assertEquals(want.localOff(), zeroed.length, "the vector holds metadata + map");

        assertEquals(want, MetadataCodec.decode(ByteBuffer.wrap(zeroed), "test", PATH));
        assertEquals(want, MetadataCodec.decode(ByteBuffer.wrap(raw), "test", PATH));

        ByteBuffer encoded = MetadataCodec.encode(want);
        assertEquals(MetadataCodec.METADATA_SIZE, encoded.remaining());
        assertArrayEquals(Arrays.copyOf(zeroed, MetadataCodec.METADATA_SIZE), encoded.array());
    }

    /** The values {@code hastctl dump} printed (its localcnt/remotecnt are the pair on disk). */
    static Metadata fromDump(List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : lines) {
            String trimmed = line.trim();
            int colon = trimmed.indexOf(':');
            String value = trimmed.substring(colon + 1).trim();
            int paren = value.indexOf(" (");
            values.put(trimmed.substring(0, colon), paren < 0 ? value : value.substring(0, paren));
        }
        return new Metadata(values.get("resource"),
                Long.parseUnsignedLong(values.get("datasize")),
                Integer.parseInt(values.get("extentsize")),
                Integer.parseInt(values.get("keepdirty")),
                Long.parseUnsignedLong(values.get("localoff")),
                Long.parseUnsignedLong(values.get("resuid")),
                Long.parseUnsignedLong(values.get("localcnt")),
                Long.parseUnsignedLong(values.get("remotecnt")),
                Role.fromName(values.get("prevrole")));
    }
}
