package org.hast.nv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.hast.testing.Corpus;
import org.hast.testing.Hex;
import org.hast.testing.Mutator;
import org.junit.jupiter.api.Test;

/**
 * Generated input for {@link NvMessage#decode}: only {@link NvFormatException} may come out,
 * nothing hangs, and every accepted blob is served from the blob itself (slices, no copies;
 * what the accessors hand out is bounded by the blob's size).
 */
class NvDecodeFuzzTest {
    static final long FIXED_SEED = 0x4841_5354_6e76L;
    private static final int FIXED_INPUTS = 100_000;
    private static final int RANDOM_INPUTS = 50_000;

    /** Every rejection rule of §5.3, as a pattern of its message. */
    private static final List<Pattern> RULES = Stream.of(
            "only \\d+ bytes left", "namesize is 0", "name of namesize \\d+ runs past",
            "name of namesize \\d+ is not NUL-terminated", "name has a NUL",
            "unknown type code", "dsize is 0", "entry of \\d+ bytes", "does not match",
            "is not a multiple", "string of dsize \\d+ is not NUL-terminated",
            "string of dsize \\d+ has a NUL").map(Pattern::compile).collect(Collectors.toList());

    @Test
    void fixedSeed() {
        Set<String> hit = run(FIXED_SEED, FIXED_INPUTS);
        assertEquals(RULES.stream().map(Pattern::pattern).collect(Collectors.toSet()), hit,
                "the fixed seed reaches every rule");
    }

    @Test
    void randomSeed() {
        long seed = new Random().nextLong();
        System.out.println("NvDecodeFuzzTest random seed: " + seed
                + " (replay: change FIXED_SEED to it)");
        run(seed, RANDOM_INPUTS);
    }

    private static Set<String> run(long seed, int inputs) {
        Set<String> hit = new HashSet<>();
        List<byte[]> seeds = new ArrayList<>(Corpus.nvBlobs());
        seeds.add(allTypes());
        Mutator mutator = new Mutator(new Random(seed), seeds);
        int[] accepted = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < inputs; i++) {
                byte[] input = mutator.next();
                try {
                    NvMessage msg = NvMessage.decode(ByteBuffer.wrap(input));
                    exercise(msg, input);
                    accepted[0]++;
                } catch (NvFormatException e) {
                    assertEquals(NvFormatException.Reason.MALFORMED, e.reason());
                    assertNotNull(e.getMessage());
                    for (Pattern rule : RULES) {
                        if (rule.matcher(e.getMessage()).find()) {
                            hit.add(rule.pattern());
                        }
                    }
                } catch (Throwable t) {
                    fail("seed " + seed + ", input " + i + " (" + input.length + " bytes):\n"
                            + Hex.of(input), t);
                }
            }
        });
        System.out.println("NvDecodeFuzzTest seed " + seed + ": " + inputs + " inputs, "
                + accepted[0] + " accepted");
        assertTrue(accepted[0] > inputs / 20, "the mutations should leave some blobs valid");
        return hit;
    }

    /** Every accessor on an accepted blob, and the structural allocation bounds. */
    static void exercise(NvMessage msg, byte[] input) throws NvFormatException {
        long handedOut = 0;
        int off = 0;
        NvWriter copy = new NvWriter();
        for (int i = 0; i < msg.size(); i++) {
            int namesize = input[off + 1] & 0xff;
            int payloadAt = off + 6 + ((namesize + 7) & ~7);
            NvType type = msg.typeAt(i);
            assertEquals(input[off] & NvType.TYPE_MASK, type.code());
            String name = msg.nameAt(i);
            ByteBuffer payload = msg.payloadAt(i);
            assertTrue(payload.isReadOnly());
            int dsize = payload.remaining();
            handedOut += namesize - 1 + dsize;

            // the slice is the blob's own bytes, not a copy
            for (int k = 0; k < dsize; k += Math.max(1, dsize / 8)) {
                assertEquals(input[payloadAt + k], payload.get(k));
            }
            byte saved = input[payloadAt];
            input[payloadAt] = (byte) ~saved;
            assertEquals((byte) ~saved, msg.payloadAt(i).get(0));
            input[payloadAt] = saved;

            if (type.isScalar()) {
                msg.longAt(i);
            } else if (type.isString()) {
                assertTrue(msg.stringAt(i).length() <= dsize - 1, "one char per byte at most");
            }
            // a name that is not valid UTF-8 comes back with U+FFFD and cannot be looked up
            byte[] nameBytes = Arrays.copyOfRange(input, off + 6, off + 6 + namesize - 1);
            boolean utf8 = Arrays.equals(nameBytes, name.getBytes(StandardCharsets.UTF_8));
            int first = msg.indexOf(name);
            if (utf8) {
                assertTrue(first >= 0 && first <= i, "first match of " + name);
                assertEquals(msg.typeAt(first), msg.typeOf(name));
                assertTrue(msg.has(name));
            }
            lookAllWays(msg, name, utf8);
            // the reader accepts an empty name (namesize 1) as the reference does; the writer
            // refuses to produce one
            if (utf8 && !name.isEmpty() && copy != null) {
                copy.addRaw(type, name, payload);
            } else {
                copy = null;
            }
            off = payloadAt + ((dsize + 7) & ~7);
        }
        assertEquals(off, msg.length());
        assertTrue(handedOut <= input.length, "names and values fit in the blob");
        // at least "  n(t):\n" per entry (values may hold newlines, so lines are not counted)
        assertTrue(msg.dump().length() >= 7 * msg.size());
        // the writer reproduces the blob with zeroed padding; it decodes to the same thing
        if (copy != null) {
            assertEquals(msg.length(), copy.encodedSize());
            assertEquals(msg.dump(), NvMessage.decode(copy.encode()).dump());
        }
    }

    private static void lookAllWays(NvMessage msg, String name, boolean findable) {
        msg.getInt8(name);
        msg.getUint8(name);
        msg.getInt16(name);
        msg.getUint16(name);
        msg.getInt32(name);
        msg.getUint32(name);
        msg.getInt64(name);
        msg.getUint64(name);
        msg.getString(name);
        msg.getInt8Array(name);
        msg.getUint8Array(name);
        msg.getInt16Array(name);
        msg.getUint16Array(name);
        msg.getInt32Array(name);
        msg.getUint32Array(name);
        msg.getInt64Array(name);
        msg.getUint64Array(name);
        try {
            msg.requireUint64(name);
        } catch (NvFormatException e) {
            if (findable) {
                assertEquals(NvFormatException.Reason.WRONG_TYPE, e.reason());
            }
        }
    }

    private static byte[] allTypes() {
        return new NvWriter().addInt8("a", -1).addUint8("b", 1).addInt16("c", -1)
                .addUint16("d", 1).addInt32("e", -1).addUint32("f", 1).addInt64("g", -1)
                .addUint64("h", 1).addInt8Array("i", new byte[] {1, 2, 3})
                .addUint8Array("j", new byte[] {4}).addInt16Array("k", new short[] {5, 6})
                .addUint16Array("l", new short[] {7}).addInt32Array("m", new int[] {8})
                .addUint32Array("n", new int[] {9, 10}).addInt64Array("o", new long[] {11})
                .addUint64Array("p", new long[] {12}).addString("q", "").addString("r", "xyz")
                .toByteArray();
    }
}
