package org.hast.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Assumptions;

/**
 * Skips a test whose environment is missing (root, a Debian tool, FUSE, a namespace), or
 * fails it instead when {@code HAST_E2E_REQUIRED=1} is set, as CI does: a CI run must never
 * pass by skipping.
 */
public final class Requirements {
    private Requirements() {
    }

    public static boolean e2eRequired() {
        return "1".equals(System.getenv("HAST_E2E_REQUIRED"));
    }

    /** Skips (or, under HAST_E2E_REQUIRED=1, fails) with {@code why} unless {@code condition}. */
    public static void require(boolean condition, String why) {
        if (condition) {
            return;
        }
        if (e2eRequired()) {
            throw new AssertionError("required by HAST_E2E_REQUIRED=1 but missing: " + why);
        }
        Assumptions.abort("skipped: " + why);
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    public static void requireRoot() {
        require(isRoot(), "needs root");
    }

    /** Requires an executable on PATH, e.g. {@code nbdinfo} from libnbd-bin. */
    public static Path requireTool(String name, String debianPackage) {
        Path found = which(name);
        require(found != null, name + " not found (apt-get install " + debianPackage + ")");
        return found;
    }

    public static Path which(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            Path candidate = Paths.get(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** The project checkout (set by the build), for bin/ launchers and conf/. */
    public static Path projectRoot() {
        String root = System.getProperty("hast.root");
        if (root == null) {
            throw new IllegalStateException("hast.root system property not set (run through Maven)");
        }
        return Paths.get(root);
    }

    /** The shared reference material (spec, vectors) beside the checkout. */
    public static Path sharedDir() {
        String shared = System.getProperty("hast.shared");
        Path dir = shared != null ? Paths.get(shared) : projectRoot().resolveSibling("shared");
        return dir.normalize();
    }

    /** A file under ../shared/vectors; skips or fails when the vectors are not there. */
    public static Path vector(String relative) {
        Path file = sharedDir().resolve("vectors").resolve(relative);
        require(Files.isReadable(file), "reference vector missing: " + file);
        return file;
    }
}
