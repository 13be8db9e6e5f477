package org.hast.nv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.hast.proto.Frame;
import org.hast.proto.FrameHeader;
import org.hast.proto.Frames;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every captured message under vectors/nv (control socket and replication link, header + nv):
 * decoded from the raw capture (garbage in the name padding) and from the zeroed copy, checked
 * field by field against the reference {@code nv_dump()}, and re-encoded with {@link NvWriter}'s
 * typed adders to the exact bytes of the zeroed copy.
 */
class NvVectorsTest {
    private static final Pattern HEADER =
            Pattern.compile("message at offset 0: version=(\\d+) nvsize=(\\d+)");
    private static final Pattern PAYLOAD = Pattern.compile("  \\[\\+(\\d+) bytes of data follow]");
    private static final int MAX_NV = 1 << 20;

    /** What the reference printed for one message. */
    private record Expected(int version, int nvSize, String fields, long payload) {
    }

    @TestFactory
    Stream<DynamicTest> controlSocketMessages() throws IOException {
        Path dir = Requirements.vector("nv/ctl_list_A_primary.req.bin").getParent();
        List<DynamicTest> tests = new ArrayList<>();
        for (Path raw : rawFiles(dir)) {
            String base = raw.getFileName().toString().replaceFirst("\\.bin$", "");
            Path decoded = dir.resolve(base + ".decoded.txt");
            Expected expected = parse(Files.readAllLines(decoded)).get("only");
            tests.add(DynamicTest.dynamicTest(base, () -> check(raw, expected)));
        }
        assertEquals(20, tests.size(), "10 request/reply pairs");
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> replicationMessages() throws IOException {
        Path nvDir = Requirements.vector("nv/ctl_list_A_primary.req.bin").getParent();
        List<Path> sessions;
        try (Stream<Path> list = Files.list(nvDir)) {
            sessions = list.filter(p -> p.getFileName().toString().startsWith("wire_"))
                    .sorted().collect(Collectors.toList());
        }
        assertEquals(5, sessions.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path session : sessions) {
            Map<String, Expected> expected = parse(
                    Files.readAllLines(session.resolve("decoded.txt")));
            List<Path> raws = rawFiles(session);
            assertEquals(expected.size(), raws.size(), "one decoded entry per capture in "
                    + session);
            for (Path raw : raws) {
                Expected want = expected.get(raw.getFileName().toString());
                assertNotNull(want, "no decoded.txt entry for " + raw);
                tests.add(DynamicTest.dynamicTest(session.getFileName() + "/"
                        + raw.getFileName(), () -> check(raw, want)));
            }
        }
        return tests.stream();
    }

    /** The typed adders reproduce a hand-written handshake reply byte for byte. */
    @Test
    void handshakeParamsReplyRebuiltByHand() throws Exception {
        Path file = Requirements.vector(
                "nv/wire_default/c0_8458_to_37144_m01_hs_reply_params.zeroed.bin");
        Frame frame = Frames.decode(ByteBuffer.wrap(Files.readAllBytes(file)), MAX_NV);
        NvMessage nv = frame.nv();
        NvWriter rebuilt = new NvWriter()
                .addInt64("datasize", nv.requireInt64("datasize"))
                .addInt32("extentsize", nv.requireInt32("extentsize"))
                .addUint64("localcnt", nv.requireUint64("localcnt"))
                .addUint64("remotecnt", nv.requireUint64("remotecnt"));
        if (nv.has("virgin")) {
            rebuilt.addInt8("virgin", nv.requireInt8("virgin"));
        }
        rebuilt.addUint8("syncsrc", nv.requireUint8("syncsrc"))
                .addUint32("mapsize", nv.requireUint32("mapsize"));
        assertEquals(67104256, nv.getInt64("datasize"));
        assertArrayEquals(Files.readAllBytes(file), bytes(Frames.encode(2, rebuilt)));
    }

    private static void check(Path raw, Expected want) throws Exception {
        Path zeroed = raw.resolveSibling(raw.getFileName().toString()
                .replaceFirst("\\.bin$", ".zeroed.bin"));
        byte[] rawBytes = Files.readAllBytes(raw);
        assertEquals(FrameHeader.HEADER_SIZE + want.nvSize, rawBytes.length);
        byte[] zeroBytes = Files.readAllBytes(zeroed);
        assertEquals(rawBytes.length, zeroBytes.length, zeroed + " is the capture's zeroed copy");
        for (byte[] bytes : List.of(rawBytes, zeroBytes)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            Frame frame = Frames.decode(buf, MAX_NV);
            assertFalse(buf.hasRemaining(), "header + nv is the whole capture");
            assertEquals(want.version, frame.version());
            assertEquals(want.fields, frame.nv().dump());
            assertEquals(want.nvSize, frame.nv().length());
            assertEquals(want.payload, frame.payloadSize());
        }

        Frame frame = Frames.decode(ByteBuffer.wrap(rawBytes), MAX_NV);
        byte[] ours = bytes(Frames.encode(frame.version(), retype(frame.nv())));
        assertArrayEquals(zeroBytes, ours, "re-encoded with zero padding equals the zeroed capture");
        // and against the raw capture: equal everywhere but in the name padding, which is 0
        boolean[] padding = namePadding(rawBytes, FrameHeader.HEADER_SIZE);
        assertEquals(rawBytes.length, ours.length);
        for (int i = 0; i < ours.length; i++) {
            byte expected = padding[i] ? 0 : rawBytes[i];
            assertEquals(expected, ours[i], "byte " + i);
        }
    }

    /** Marks the bytes between each name's NUL and the end of its 8-byte padding. */
    static boolean[] namePadding(byte[] blob, int start) {
        boolean[] mask = new boolean[blob.length];
        int off = start;
        while (off < blob.length && blob[off] != 0) {
            int namesize = blob[off + 1] & 0xff;
            long dsize = ByteBuffer.wrap(blob, off + 2, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getInt() & 0xffffffffL;
            int paddedName = (namesize + 7) & ~7;
            for (int i = off + 6 + namesize; i < off + 6 + paddedName; i++) {
                mask[i] = true;
            }
            off += 6 + paddedName + (int) ((dsize + 7) & ~7L);
        }
        return mask;
    }

    /** Rebuilds a message through the typed adders, the way the daemon code will call them. */
    static NvWriter retype(NvMessage msg) {
        NvWriter out = new NvWriter();
        for (int i = 0; i < msg.size(); i++) {
            String name = msg.nameAt(i);
            ByteBuffer payload = msg.payloadAt(i);
            switch (msg.typeAt(i)) {
                case INT8: out.addInt8(name, (int) msg.longAt(i)); break;
                case UINT8: out.addUint8(name, (int) msg.longAt(i)); break;
                case INT16: out.addInt16(name, (int) msg.longAt(i)); break;
                case UINT16: out.addUint16(name, (int) msg.longAt(i)); break;
                case INT32: out.addInt32(name, (int) msg.longAt(i)); break;
                case UINT32: out.addUint32(name, msg.longAt(i)); break;
                case INT64: out.addInt64(name, msg.longAt(i)); break;
                case UINT64: out.addUint64(name, msg.longAt(i)); break;
                case STRING: out.addString(name, msg.stringAt(i)); break;
                case INT8_ARRAY: out.addInt8Array(name, bytes(payload)); break;
                case UINT8_ARRAY: out.addUint8Array(name, bytes(payload)); break;
                case INT16_ARRAY: out.addInt16Array(name, shorts(payload.asShortBuffer())); break;
                case UINT16_ARRAY: out.addUint16Array(name, shorts(payload.asShortBuffer())); break;
                case INT32_ARRAY: out.addInt32Array(name, ints(payload)); break;
                case UINT32_ARRAY: out.addUint32Array(name, ints(payload)); break;
                case INT64_ARRAY: out.addInt64Array(name, longs(payload)); break;
                case UINT64_ARRAY: out.addUint64Array(name, longs(payload)); break;
                default: throw new AssertionError(msg.typeAt(i));
            }
        }
        return out;
    }

    /** Sections keyed by file name ("### name" lines), or "only" for a single-message file. */
    private static Map<String, Expected> parse(List<String> lines) {
        Map<String, Expected> out = new LinkedHashMap<>();
        String key = "only";
        int version = -1;
        int nvSize = -1;
        long payload = 0;
        StringBuilder fields = null;
        for (String line : lines) {
            if (line.startsWith("### ")) {
                if (fields != null) {
                    out.put(key, new Expected(version, nvSize, fields.toString(), payload));
                }
                key = line.substring(4).trim();
                fields = null;
                continue;
            }
            Matcher header = HEADER.matcher(line);
            Matcher data = PAYLOAD.matcher(line);
            if (header.matches()) {
                version = Integer.parseInt(header.group(1));
                nvSize = Integer.parseInt(header.group(2));
                payload = 0;
                fields = new StringBuilder();
            } else if (data.matches()) {
                payload = Long.parseLong(data.group(1));
            } else if (line.startsWith("  ")) {
                fields.append(line).append('\n');
            } else {
                assertTrue(line.isBlank(), "unexpected line: " + line);
            }
        }
        if (fields != null) {
            out.put(key, new Expected(version, nvSize, fields.toString(), payload));
        }
        return out;
    }

    private static List<Path> rawFiles(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".bin") && !n.endsWith(".zeroed.bin");
            }).sorted().collect(Collectors.toList());
        }
    }

    private static byte[] bytes(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    private static short[] shorts(ShortBuffer buf) {
        short[] out = new short[buf.remaining()];
        buf.get(out);
        return out;
    }

    private static int[] ints(ByteBuffer buf) {
        int[] out = new int[buf.remaining() / 4];
        buf.asIntBuffer().get(out);
        return out;
    }

    private static long[] longs(ByteBuffer buf) {
        long[] out = new long[buf.remaining() / 8];
        buf.asLongBuffer().get(out);
        return out;
    }
}
