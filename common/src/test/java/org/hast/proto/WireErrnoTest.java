package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;

/**
 * {@link WireErrno} against the compiler-produced table of both systems' errno values
 * ({@code ../shared/vectors/freebsd-abi/errno.tsv}): every name defined on both sides maps
 * both ways, everything else (one side only, kernel-internal, out of range) becomes EIO.
 */
class WireErrnoTest {
    /** Linux value → FreeBSD value, and back, for the names both systems define. */
    private final Map<Integer, Integer> linuxToFreebsd = new HashMap<>();
    private final Map<Integer, Integer> freebsdToLinux = new HashMap<>();
    private int rows;

    WireErrnoTest() throws IOException {
        List<String> lines = Files.readAllLines(Requirements.vector("freebsd-abi/errno.tsv"));
        assertEquals(List.of("name", "freebsd", "linux"), List.of(lines.get(0).split("\t")).subList(0, 3));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            rows++;
            if (f[0].equals("ELAST") || f[1].equals("-") || f[2].equals("-")) {
                continue; // ELAST is a bound, not an errno; one-sided names have no pair
            }
            int freebsd = Integer.parseInt(f[1]);
            int linux = Integer.parseInt(f[2]);
            if (freebsd <= 0) {
                continue; // kernel-internal on FreeBSD (ERESTART -1): never on the wire
            }
            linuxToFreebsd.put(linux, freebsd);
            freebsdToLinux.put(freebsd, linux);
        }
    }

    @Test
    void everyValueBothSystemsNameTranslatesBothWays() {
        assertTrue(rows > 150, "the whole table was read: " + rows);
        assertTrue(linuxToFreebsd.size() >= 80, "pairs: " + linuxToFreebsd.size());
        linuxToFreebsd.forEach((linux, freebsd) -> {
            assertEquals(freebsd, WireErrno.toWire(linux), "Linux " + linux);
            assertEquals(linux, WireErrno.fromWire(freebsd), "FreeBSD " + freebsd);
        });
    }

    @Test
    void everythingElseBecomesEio() {
        for (int value = -200; value <= 400; value++) {
            if (value == 0) {
                continue;
            }
            assertEquals(linuxToFreebsd.getOrDefault(value, 5), WireErrno.toWire(value), "Linux " + value);
            assertEquals(freebsdToLinux.getOrDefault(value, 5), WireErrno.fromWire(value), "FreeBSD " + value);
        }
        assertEquals(0, WireErrno.toWire(0));
        assertEquals(0, WireErrno.fromWire(0));
    }

    @Test
    void theValuesTheIssueNames() {
        assertEquals(45, WireErrno.toWire(95), "EOPNOTSUPP");
        assertEquals(60, WireErrno.toWire(110), "ETIMEDOUT");
        assertEquals(85, WireErrno.toWire(125), "ECANCELED");
        assertEquals(95, WireErrno.fromWire(45));
        // FreeBSD's 95 is ENOTRECOVERABLE, not EOPNOTSUPP.
        assertEquals(131, WireErrno.fromWire(95));
    }
}
