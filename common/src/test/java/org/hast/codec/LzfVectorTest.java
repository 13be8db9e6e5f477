package org.hast.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference's {@code compression_send()} outputs in {@code vectors/lzf/}: our send stage
 * in lzf mode must produce them byte for byte (our compressor follows liblzf's VERY_FAST
 * strategy closely enough to match all of them), and our receive stage must turn each one
 * back into the input.
 */
class LzfVectorTest {
    /** One line of summary.txt, e.g. "a_65536: input=65536 output=757 compression-attr=lzf". */
    private static final Pattern SUMMARY = Pattern.compile(
            "^(\\S+): input=(\\d+) output=(\\d+) compression-attr=(\\S+)");

    record Case(String name, int inputSize, int outputSize, String attribute) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> lzfCases() throws IOException {
        Map<String, Case> cases = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Requirements.vector("lzf/summary.txt"))) {
            Matcher m = SUMMARY.matcher(line);
            if (m.find()) {
                String attr = m.group(4).startsWith("(none") ? null : m.group(4);
                cases.put(m.group(1), new Case(m.group(1), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), attr));
            }
        }
        return new ArrayList<>(cases.values());
    }

    static Stream<Case> cases() throws IOException {
        return lzfCases().stream();
    }

    private static byte[] read(String name) throws IOException {
        return Files.readAllBytes(Requirements.vector("lzf/" + name));
    }

    @Test
    void summaryCoversEveryInputFile() throws IOException {
        List<String> names = new ArrayList<>();
        for (Case c : lzfCases()) {
            names.add(c.name() + ".in");
        }
        try (Stream<Path> files = Files.list(Requirements.vector("lzf/summary.txt").getParent())) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".in"))
                    .forEach(n -> assertTrue(names.contains(n), n + " missing from summary.txt"));
        }
        assertEquals(10, names.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sendStageInLzfModeMatchesReference(Case c) throws IOException {
        byte[] in = read(c.name() + ".in");
        byte[] expected = read(c.name() + ".lzf.out");
        assertEquals(c.inputSize(), in.length);
        assertEquals(c.outputSize(), expected.length);

        for (boolean direct : new boolean[] {false, true}) {
            PayloadCodec codec = new PayloadCodec(Compression.LZF, ChecksumAlgorithm.NONE);
            ByteBuffer data = copy(in, direct);
            ByteBuffer scratch = direct ? ByteBuffer.allocateDirect(in.length)
                    : ByteBuffer.allocate(in.length);
            EncodedPayload enc = codec.encode(data, scratch);
            assertEquals(c.attribute(), enc.compressionName(), "compression attribute");
            assertNull(enc.checksumName());
            assertEquals(expected.length, enc.size());
            assertArrayEquals(expected, bytes(enc.payload()), "payload bytes (direct=" + direct + ")");
            if (c.attribute() == null) {
                assertSame(data, enc.payload(), "uncompressed data goes as it is");
            }
            assertEquals(0, data.position(), "data position untouched");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void receiveStageRestoresInput(Case c) throws Exception {
        byte[] in = read(c.name() + ".in");
        byte[] wire = read(c.name() + ".lzf.out");
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer out = direct ? ByteBuffer.allocateDirect(in.length)
                    : ByteBuffer.allocate(in.length);
            ByteBuffer got = new PayloadCodec().decode(c.attribute(), null, (ByteBuffer) null,
                    copy(wire, direct), out);
            assertArrayEquals(in, bytes(got));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rawDecoderDecodesReferenceStreams(Case c) throws Exception {
        if (!"lzf".equals(c.attribute())) {
            return;
        }
        byte[] in = read(c.name() + ".in");
        byte[] wire = read(c.name() + ".lzf.out");
        assertEquals(in.length, (int) Hole.getLe32(ByteBuffer.wrap(wire), 0), "length header");
        ByteBuffer stream = ByteBuffer.wrap(wire, 4, wire.length - 4);
        ByteBuffer out = ByteBuffer.allocate(in.length + 100);
        assertEquals(in.length, new Lzf().decompress(stream, out));
        assertEquals(wire.length, stream.position());
        assertArrayEquals(in, java.util.Arrays.copyOf(out.array(), in.length));
    }

    @Test
    void zerosInHoleMode() throws Exception {
        byte[] in = read("zeros_4096.in");
        byte[] expected = read("zeros_4096.hole.out");
        PayloadCodec codec = new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.NONE);
        EncodedPayload enc = codec.encode(ByteBuffer.wrap(in), ByteBuffer.allocate(4096));
        assertEquals("hole", enc.compressionName());
        assertArrayEquals(expected, bytes(enc.payload()));
        assertArrayEquals(new byte[] {0x00, 0x10, 0x00, 0x00}, expected, "4096 as uint32 LE");
        ByteBuffer got = codec.decode("hole", null, (ByteBuffer) null, ByteBuffer.wrap(expected),
                ByteBuffer.allocate(8192));
        assertArrayEquals(in, bytes(got));
    }

    @Test
    void textInHoleModeGoesUncompressed() throws IOException {
        byte[] in = read("text_4096.in");
        PayloadCodec codec = new PayloadCodec(Compression.HOLE, ChecksumAlgorithm.NONE);
        EncodedPayload enc = codec.encode(ByteBuffer.wrap(in), ByteBuffer.allocate(4096));
        assertNull(enc.compressionName());
        assertEquals(4096, enc.size());
        assertFalse(enc.payload().isDirect());
    }

    static ByteBuffer copy(byte[] b, boolean direct) {
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(b.length) : ByteBuffer.allocate(b.length);
        buf.put(b).flip();
        return buf;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
