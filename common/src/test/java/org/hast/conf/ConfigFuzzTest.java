package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.regex.Pattern;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;

/**
 * Feeds the parser thousands of random and mutated configurations. The only acceptable
 * outcomes are a configuration or a one-line ConfigException that starts with the file name
 * and names no Java class. Each run uses a fixed seed and a fresh random one; both are in
 * every failure message, and {@code -Dhast.fuzz.seed=<n>} replays a given one.
 */
class ConfigFuzzTest {
    private static final long FIXED_SEED = 0x4841535443304e46L;
    private static final int CASES_PER_SEED = 6_000;
    private static final String FILE = "fuzz/hast.conf";
    private static final Pattern JAVA_NAME =
            Pattern.compile("[A-Z][A-Za-z]*(Exception|Error)\\b|java\\.|\\bat org\\.");

    static final NodeIdentity[] IDENTITIES = {
        NodeIdentity.of("hasta.example.org", List.of("0123456789abcdef0123456789abcdef"),
                OptionalLong.of(3735928559L)),
        NodeIdentity.named("hastb"),
        NodeIdentity.of(null, List.of(), OptionalLong.empty()),
    };
    static final AddressFamilyProbe[] PROBES = {
        AddressFamilyProbe.fixed(true, true),
        AddressFamilyProbe.fixed(true, false),
        AddressFamilyProbe.fixed(false, false),
    };

    static final String[] CORPUS = {
        ConfigParserTest.SPEC_EXAMPLE,
        ConfigTesting.MINIMAL_RESOURCE,
        "control uds:///var/run/hastctl\npidfile /var/run/hastd.pid\nreplication fullsync\n"
                + "checksum sha256\ncompression lzf\ntimeout 15\nexec /usr/local/sbin/hook\n"
                + "metaflush off\ndevice nbd\ndevdir /dev/hast\n"
                + "on hasta { control /run/a listen tcp4://0.0.0.0:8457 pidfile /run/a.pid devdir /dev/ha }\n"
                + "on hastb { control /run/b listen tcp6://[::]:8457 }\n"
                + "resource data {\n replication async\n checksum crc32\n compression none\n timeout 3\n"
                + " exec /bin/true\n metaflush on\n name dataprov\n local /dev/sdb\n device fuse\n"
                + " export tcp://127.0.0.1:10809\n"
                + " on hasta { name a local /dev/sdc remote tcp://10.0.0.2 source tcp://10.0.0.1"
                + " metaflush off export uds:///run/e.sock }\n"
                + " on hastb { remote none }\n}\n",
        "# comment only\n\n\t# another\n",
        "checksum crc32\r\ncompression none\r\non nodeA {\r\n\tcontrol uds:///run/a.sock\r\n"
                + "\tlisten tcp4://127.0.0.1:8457\r\n}\r\nresource test {\r\n\ton hasta {\r\n"
                + "\t\tlocal /var/a.img\r\n\t\tremote tcp4://127.0.0.1:8458\r\n\t}\r\n}\r\n",
        "resource export { on hasta { local export remote device } on hastb { local x remote none } }\n"
                + "resource device { device none on hostid3735928559 { local /l remote none } }\n",
    };

    private static final String[] VOCABULARY = {
        "control", "pidfile", "listen", "replication", "checksum", "compression", "timeout",
        "exec", "metaflush", "resource", "name", "local", "remote", "source", "on", "off",
        "fullsync", "memsync", "async", "none", "crc32", "sha256", "hole", "lzf", "device",
        "devdir", "export", "auto", "nbd", "fuse", "ggate", "{", "}", "{", "}", "hasta",
        "hastb", "hasta.example.org", "hostid3735928559", "0123456789abcdef0123456789abcdef",
        "0", "1", "20", "2147483647", "2147483648", "99999999999999999999999999", "-1",
        "/dev/da0", "tcp://10.0.0.1", "tcp6://[::1]", "r0", "r1", "#", "#c\n", "\n", ";",
        "\r\n", "\"", "\t", "\u0000", "\u00ff", "\u2603", "[", "]", ":",
    };

    private int parsed;
    private int refused;

    @Test
    void randomAndMutatedConfigurationsParseOrFailCleanly() {
        String replay = System.getProperty("hast.fuzz.seed");
        long randomSeed = replay != null ? Long.decode(replay) : new SecureRandom().nextLong();
        String seeds = "seeds: fixed " + FIXED_SEED + ", random " + randomSeed
                + " (replay with -Dhast.fuzz.seed=<seed>)";
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            run(FIXED_SEED, seeds);
            // The fixed seed must exercise both outcomes, or the generator has gone stale.
            assertTrue(parsed > CASES_PER_SEED / 20 && refused > CASES_PER_SEED / 20,
                    "parsed " + parsed + ", refused " + refused + "; " + seeds);
            run(randomSeed, seeds);
        }, seeds);
    }

    private void run(long seed, String seeds) {
        int parsedBefore = parsed;
        int refusedBefore = refused;
        Random random = new Random(seed);
        for (int i = 0; i < CASES_PER_SEED; i++) {
            String text = generate(random);
            NodeIdentity identity = IDENTITIES[random.nextInt(IDENTITIES.length)];
            AddressFamilyProbe probe = PROBES[random.nextInt(PROBES.length)];
            if (check(text, identity, probe, "case " + i + " of seed " + seed + "; " + seeds)) {
                parsed++;
            } else {
                refused++;
            }
        }
        System.out.println("config fuzz: seed " + seed + ": " + (parsed - parsedBefore)
                + " parsed, " + (refused - refusedBefore) + " refused");
    }

    /**
     * Parses {@code text} and fails unless the outcome is a sound configuration (true) or a
     * clean one-line refusal (false); {@link ConfigCoverageFuzzTest} shares it.
     */
    static boolean check(String text, NodeIdentity identity, AddressFamilyProbe probe, String where) {
        try {
            HastConfig config = ConfigParser.parse(text, FILE, identity, probe);
            if (config.listenAddresses().isEmpty()) {
                fail("parsed without a listen address; " + where + describe(text));
            }
            for (String warning : config.warnings()) {
                if (!warning.startsWith(FILE + ":") || warning.contains("\n")
                        || warning.contains("\r")) {
                    fail("bad warning [" + warning + "]; " + where + describe(text));
                }
            }
            for (ResourceConfig resource : config.resources()) {
                if (resource.name().isEmpty() || resource.providerName().length() > 254
                        || resource.localPath().isEmpty() || resource.remoteAddress().isEmpty()) {
                    fail("bad resource " + resource + "; " + where + describe(text));
                }
            }
            return true;
        } catch (ConfigException e) {
            String message = e.getMessage();
            boolean ok = message != null && message.startsWith(FILE + ":")
                    && !message.contains("\n") && !message.contains("\r")
                    && !JAVA_NAME.matcher(message).find() && !message.contains("internal error")
                    && (e.exitCode() == SysExits.EX_CONFIG
                        || (e.exitCode() == SysExits.EX_TEMPFAIL
                            && message.equals(FILE + ": No address to listen on.")));
            if (!ok) {
                fail("bad error [" + message + "] exit " + e.exitCode() + "; " + where
                        + describe(text));
            }
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            return fail("unexpected " + t + "; " + where + describe(text), t);
        }
    }

    private static String describe(String text) {
        String shown = text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
        return "\n--- input (" + text.length() + " chars) ---\n" + shown;
    }

    // ---- generation -------------------------------------------------------------------------

    private static String generate(Random random) {
        switch (random.nextInt(10)) {
            case 0:
                return randomTokens(random, 1 + random.nextInt(80));
            case 1:
                return randomBytes(random, random.nextInt(400));
            default:
                String text = CORPUS[random.nextInt(CORPUS.length)];
                int mutations = 1 + random.nextInt(random.nextInt(8) + 1);
                for (int m = 0; m < mutations; m++) {
                    text = mutate(random, text);
                }
                return text;
        }
    }

    private static String mutate(Random random, String text) {
        List<String> tokens = split(text);
        switch (random.nextInt(11)) {
            case 0: // delete a token
                if (!tokens.isEmpty()) {
                    tokens.remove(random.nextInt(tokens.size()));
                }
                break;
            case 1: // insert a token
                tokens.add(random.nextInt(tokens.size() + 1), " " + word(random) + " ");
                break;
            case 2: // swap two tokens
                if (tokens.size() > 1) {
                    int a = random.nextInt(tokens.size());
                    int b = random.nextInt(tokens.size());
                    String t = tokens.get(a);
                    tokens.set(a, tokens.get(b));
                    tokens.set(b, t);
                }
                break;
            case 3: // replace a token
                if (!tokens.isEmpty()) {
                    tokens.set(random.nextInt(tokens.size()), " " + word(random) + " ");
                }
                break;
            case 4: // duplicate a run of tokens
                if (!tokens.isEmpty()) {
                    int from = random.nextInt(tokens.size());
                    int to = Math.min(tokens.size(), from + 1 + random.nextInt(20));
                    tokens.addAll(to, new ArrayList<>(tokens.subList(from, to)));
                }
                break;
            case 5: // random bytes somewhere
                return insertAt(random, text, randomBytes(random, 1 + random.nextInt(8)));
            case 6: // random braces
                return insertAt(random, text, randomBraces(random));
            case 7: // deep nesting
                int depth = 1 + random.nextInt(5000);
                return insertAt(random, text, "{".repeat(depth) + " " + "}".repeat(random.nextInt(depth + 1)));
            case 8: // a very long word
                char c = "ax/.-_:[]9".charAt(random.nextInt(10));
                return insertAt(random, text, " " + String.valueOf(c).repeat(200 + random.nextInt(60_000)) + " ");
            case 9: // a huge number
                return insertAt(random, text, " timeout " + "9".repeat(1 + random.nextInt(60)) + " ");
            default: // delete a character range
                if (!text.isEmpty()) {
                    int from = random.nextInt(text.length());
                    int to = Math.min(text.length(), from + 1 + random.nextInt(10));
                    return text.substring(0, from) + text.substring(to);
                }
                break;
        }
        return String.join("", tokens);
    }

    /** Words and the separators between them, so that joining gives the text back. */
    private static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int start = i;
            boolean word = ConfigLexer.isWordChar(text.charAt(i));
            while (i < text.length() && ConfigLexer.isWordChar(text.charAt(i)) == word) {
                i++;
            }
            parts.add(text.substring(start, i));
        }
        return parts;
    }

    private static String word(Random random) {
        return VOCABULARY[random.nextInt(VOCABULARY.length)];
    }

    private static String randomTokens(Random random, int count) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            out.append(word(random)).append(random.nextInt(4) == 0 ? "\n" : " ");
        }
        return out.toString();
    }

    private static String randomBytes(Random random, int count) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                out.append((char) random.nextInt(256));
            } else if (kind < 9) {
                out.append("{}#\n ;ab0:/"
                        .charAt(random.nextInt(11)));
            } else {
                out.append((char) random.nextInt(0x10000));
            }
        }
        return out.toString();
    }

    private static String randomBraces(Random random) {
        StringBuilder out = new StringBuilder();
        int count = 1 + random.nextInt(20);
        for (int i = 0; i < count; i++) {
            out.append(random.nextBoolean() ? '{' : '}');
        }
        return out.toString();
    }

    private static String insertAt(Random random, String text, String insert) {
        int at = random.nextInt(text.length() + 1);
        return text.substring(0, at) + insert + text.substring(at);
    }
}
