package org.hast.ctl;

import java.util.List;

import org.hast.nv.NvWriter;

/** The {@code resource0..N} fields of a control request (spec §2.8). */
final class ResourceNames {
    private ResourceNames() {
    }

    /** Adds the names, or {@code resource0 = "all"} when none were given (list/status). */
    static void add(NvWriter request, List<String> names) {
        if (names.isEmpty()) {
            request.addString("resource0", "all");
            return;
        }
        for (int i = 0; i < names.size(); i++) {
            request.addString("resource" + i, names.get(i));
        }
    }

    /** printf's rendering of a missing string, which the reference would print. */
    static String orNull(String value) {
        return value == null ? "(null)" : value;
    }
}
