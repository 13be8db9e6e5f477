package org.hast.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.hast.proto.Role;
import org.hast.testing.Corpus;
import org.hast.testing.Hex;
import org.hast.testing.Mutator;
import org.junit.jupiter.api.Test;

/**
 * Generated input for {@link MetadataCodec#decode}: mutated metadata areas (mostly kept at
 * 4096 bytes, some shorter) give a value or a {@link MetadataException}, nothing else, and
 * never hang. Random values round-trip through encode/decode.
 */
class MetadataDecodeFuzzTest {
    private static final long FIXED_SEED = 0x4841_5354_6d64L;
    private static final int FIXED_INPUTS = 100_000;
    private static final int RANDOM_INPUTS = 50_000;
    private static final String PATH = "/dev/fuzz";

    @Test
    void fixedSeed() {
        Map<MetadataException.Kind, Integer> kinds = run(FIXED_SEED, FIXED_INPUTS);
        assertEquals(MetadataException.Kind.values().length, kinds.size(),
                "every failure kind is reached: " + kinds);
    }

    @Test
    void randomSeed() {
        long seed = new Random().nextLong();
        System.out.println("MetadataDecodeFuzzTest random seed: " + seed);
        run(seed, RANDOM_INPUTS);
    }

    @Test
    void randomValuesRoundTrip() throws MetadataException {
        long seed = new Random().nextLong();
        System.out.println("MetadataDecodeFuzzTest round-trip seed: " + seed);
        Random random = new Random(seed);
        Role[] roles = {Role.INIT, Role.PRIMARY, Role.SECONDARY};
        for (int i = 0; i < 10_000; i++) {
            Metadata md = new Metadata(name(random), random.nextLong(), random.nextInt(),
                    random.nextInt(), random.nextLong(), random.nextLong(), random.nextLong(),
                    random.nextLong(), roles[random.nextInt(3)]);
            ByteBuffer area = MetadataCodec.encode(md);
            assertEquals(4096, area.remaining());
            assertEquals(md, MetadataCodec.decode(area, md.resource(), PATH), "seed " + seed);
        }
    }

    private static Map<MetadataException.Kind, Integer> run(long seed, int inputs) {
        List<byte[]> seeds = new ArrayList<>(Corpus.metadataAreas());
        Random random = new Random(seed);
        for (int i = 0; i < 8; i++) {
            seeds.add(MetadataCodec.encode(new Metadata(name(random), random.nextLong(),
                    1 << random.nextInt(31), random.nextInt(100), random.nextLong(),
                    random.nextLong(), random.nextLong(), random.nextLong(), Role.PRIMARY))
                    .array());
        }
        Mutator mutator = new Mutator(random, seeds);
        Map<MetadataException.Kind, Integer> kinds = new EnumMap<>(MetadataException.Kind.class);
        int[] accepted = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < inputs; i++) {
                byte[] input = mutator.next();
                if (random.nextInt(10) != 0) {
                    input = Arrays.copyOf(input, 4096); // a pread of 4096 bytes
                }
                String expected = random.nextInt(4) == 0 ? null : "test";
                try {
                    Metadata md = MetadataCodec.decode(ByteBuffer.wrap(input), expected, PATH);
                    assertNotNull(md.resource());
                    assertNotEquals(Role.UNDEF, md.prevRole());
                    if (expected != null) {
                        assertEquals(expected, md.resource());
                    }
                    accepted[0]++;
                } catch (MetadataException e) {
                    kinds.merge(e.kind(), 1, Integer::sum);
                    assertTrue(e.getMessage().startsWith("Unable to read metadata")
                            || e.getMessage().equals("Metadata read from " + PATH
                                    + " is invalid")
                            || e.getMessage().equals("Provider " + PATH
                                    + " is not part of resource test."), e.getMessage());
                } catch (Throwable t) {
                    fail("seed " + seed + ", input " + i + " (" + input.length + " bytes):\n"
                            + Hex.of(input, 0, Math.min(input.length, 512)), t);
                }
            }
        });
        System.out.println("MetadataDecodeFuzzTest seed " + seed + ": " + inputs + " inputs, "
                + accepted[0] + " accepted, failures " + kinds);
        assertTrue(accepted[0] > 0, "some mutations leave valid metadata");
        return kinds;
    }

    /** A resource name of 1..40 characters, ASCII or not, never NUL. */
    private static String name(Random random) {
        StringBuilder sb = new StringBuilder();
        int len = 1 + random.nextInt(40);
        for (int i = 0; i < len; i++) {
            sb.append(random.nextInt(5) == 0 ? (char) (0x80 + random.nextInt(0x700))
                    : (char) ('!' + random.nextInt(94)));
        }
        return sb.toString();
    }
}
