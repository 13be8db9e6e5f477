package org.hast.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.hast.testing.Requirements;

/**
 * One of the compiler-made tables in {@code shared/vectors/freebsd-abi/} ({@code abi-amd64.tsv},
 * {@code abi-arm64.tsv}): name → FreeBSD value and name → Linux value, as text ({@code -} when
 * the name does not exist on that side).
 */
public final class AbiTable {
    private final String file;
    private final Map<String, String> freebsd = new HashMap<>();
    private final Map<String, String> linux = new HashMap<>();

    private AbiTable(String file, List<String> lines) {
        this.file = file;
        for (String line : lines.subList(1, lines.size())) {
            String[] columns = line.split("\t", -1);
            if (columns.length >= 4) {
                freebsd.put(columns[1], columns[2]);
                linux.put(columns[1], columns[3]);
            }
        }
    }

    /** {@code abi-<arch>.tsv}, arch {@code amd64} or {@code arm64}; skips when missing. */
    public static AbiTable load(String arch) {
        String name = "abi-" + arch + ".tsv";
        Path path = Requirements.vector("freebsd-abi/" + name);
        try {
            return new AbiTable(name, Files.readAllLines(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String file() {
        return file;
    }

    /** The FreeBSD value of {@code name} as a number. */
    public long freebsd(String name) {
        return number(freebsd, name);
    }

    /** The Linux value of {@code name} as a number. */
    public long linux(String name) {
        return number(linux, name);
    }

    private long number(Map<String, String> side, String name) {
        String value = side.get(name);
        if (value == null || value.equals("-")) {
            throw new AssertionError(file + " has no value for " + name);
        }
        return Long.parseLong(value);
    }
}
