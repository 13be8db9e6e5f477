package org.hast.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The replication-link messages of {@code vectors/nv/wire_*}: each capture (5-byte header + nv,
 * no payload) with what the reference's {@code nv_dump()} printed for it in the session's
 * {@code decoded.txt}, and the bytes a correct encoder emits.
 */
public final class WireVectors {
    private static final Pattern SECTION = Pattern.compile("### (\\S+)");
    private static final Pattern HEADER =
            Pattern.compile("message at offset 0: version=(\\d+) nvsize=(\\d+)");
    private static final Pattern FIELD = Pattern.compile("  ([^(]+)\\(([^)]+)\\):(.*)");
    private static final Pattern PAYLOAD = Pattern.compile("  \\[\\+(\\d+) bytes of data follow]");
    private static final Pattern KIND = Pattern.compile("c\\d+_\\d+_to_\\d+_m\\d+_(.+)\\.bin");

    /**
     * One captured message.
     *
     * @param session     e.g. {@code wire_default}
     * @param file        the capture's file name
     * @param kind        the file name's KIND: {@code hs_first}, {@code WRITE}, {@code reply}, …
     * @param raw         the capture as sent by the reference (garbage in name padding)
     * @param expected    what our encoder must emit: the zeroed copy
     * @param version     the header's version byte
     * @param nvSize      the header's nv size
     * @param fields      name → value text as {@code nv_dump()} printed it, in order
     * @param types       name → type text ({@code uint64}, {@code uint8 array}, …)
     * @param dump        the field lines, as {@code NvMessage.dump()} prints them
     * @param payloadSize the payload bytes that followed on the wire (0 for none)
     */
    public record Message(String session, String file, String kind, byte[] raw, byte[] expected,
            int version, int nvSize, Map<String, String> fields, Map<String, String> types,
            String dump, long payloadSize) {
        public String name() {
            return session + "/" + file;
        }

        /** The value text of a field; fails when the reference did not print it. */
        public String field(String name) {
            String value = fields.get(name);
            if (value == null) {
                throw new AssertionError(name() + " has no field " + name);
            }
            return value;
        }

        public boolean has(String name) {
            return fields.containsKey(name);
        }

        /** An unsigned decimal field as raw 64 bits. */
        public long unsigned(String name) {
            return Long.parseUnsignedLong(field(name));
        }

        /** A uint8 array printed as space-separated decimals. */
        public byte[] bytes(String name) {
            String[] parts = field(name).trim().split(" ");
            byte[] out = new byte[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = (byte) Integer.parseInt(parts[i]);
            }
            return out;
        }
    }

    private WireVectors() {
    }

    /** Every message of every session, sorted by session and file name. */
    public static List<Message> all() {
        Path nvDir = Requirements.vector("nv/ctl_list_A_primary.req.bin").getParent();
        List<Message> out = new ArrayList<>();
        for (Path session : list(nvDir, p -> p.getFileName().toString().startsWith("wire_"))) {
            Map<String, Section> sections = parse(read(session.resolve("decoded.txt")));
            for (Path raw : list(session, p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".bin") && !n.endsWith(".zeroed.bin");
            })) {
                String file = raw.getFileName().toString();
                Section s = sections.get(file);
                if (s == null) {
                    throw new AssertionError("no decoded.txt entry for " + raw);
                }
                Matcher kind = KIND.matcher(file);
                if (!kind.matches()) {
                    throw new AssertionError("unexpected vector name " + raw);
                }
                String sessionName = session.getFileName().toString();
                String zeroedName = file.replaceFirst("\\.bin$", ".zeroed.bin");
                byte[] rawBytes = readBytes(raw);
                byte[] expected = readBytes(raw.resolveSibling(zeroedName));
                out.add(new Message(sessionName, file, kind.group(1), rawBytes, expected,
                        s.version, s.nvSize, Collections.unmodifiableMap(s.fields),
                        Collections.unmodifiableMap(s.types), s.dump.toString(), s.payload));
            }
        }
        return out;
    }

    private static final class Section {
        int version = -1;
        int nvSize = -1;
        long payload;
        final Map<String, String> fields = new LinkedHashMap<>();
        final Map<String, String> types = new LinkedHashMap<>();
        final StringBuilder dump = new StringBuilder();
    }

    private static Map<String, Section> parse(List<String> lines) {
        Map<String, Section> out = new LinkedHashMap<>();
        Section current = null;
        for (String line : lines) {
            Matcher m;
            if ((m = SECTION.matcher(line)).matches()) {
                current = new Section();
                out.put(m.group(1), current);
            } else if ((m = HEADER.matcher(line)).matches()) {
                current.version = Integer.parseInt(m.group(1));
                current.nvSize = Integer.parseInt(m.group(2));
            } else if ((m = PAYLOAD.matcher(line)).matches()) {
                current.payload = Long.parseLong(m.group(1));
            } else if ((m = FIELD.matcher(line)).matches()) {
                current.fields.putIfAbsent(m.group(1), m.group(3).trim());
                current.types.putIfAbsent(m.group(1), m.group(2));
                current.dump.append(line).append('\n');
            } else if (!line.isBlank()) {
                throw new AssertionError("unexpected decoded.txt line: " + line);
            }
        }
        return out;
    }

    private static List<Path> list(Path dir, java.util.function.Predicate<Path> filter) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(filter).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
