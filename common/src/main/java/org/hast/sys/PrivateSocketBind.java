package org.hast.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * Creates a Unix socket file that never exists with umask-derived permissions: bind(2) makes
 * the file with {@code 0777 & ~umask}, so binding at the final path and then chmod-ing leaves
 * a window in which anyone could connect. Instead the socket is bound inside a fresh private
 * (0700) directory next to the target, given its final mode there, and renamed into place,
 * which also replaces a stale socket atomically. A connected socket is found by its inode, so
 * the rename does not disturb the listener.
 */
public final class PrivateSocketBind {
    /** Linux {@code sun_path} less the NUL. */
    private static final int MAX_PATH_BYTES = 107;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Binds a listening socket at {@code where}. */
    @FunctionalInterface
    public interface Binder {
        void bind(Path where) throws IOException;
    }

    private PrivateSocketBind() {
    }

    /**
     * Binds through {@code binder} and leaves the socket at {@code target} with mode 0600.
     * Whatever is at {@code target} is replaced: callers check first that it is a stale socket.
     *
     * @throws IOException when binding fails or the temporary path does not fit {@code sun_path}
     *         (it is 11 bytes longer than the directory of {@code target})
     */
    public static void bind(Path target, Binder binder) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Path dir = privateDirectory(parent);
        Path temporary = dir.resolve("s");
        try {
            if (temporary.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
                throw new IOException("socket directory " + parent + " is too long for a private bind (at most "
                        + (MAX_PATH_BYTES - 11) + " bytes)");
            }
            binder.bind(temporary);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
            Files.deleteIfExists(dir);
        }
    }

    /** {@code <parent>/.hXXXXXX}, mode 0700 whatever the umask; short, to keep the socket path short. */
    private static Path privateDirectory(Path parent) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String name = ".h" + Long.toString(RANDOM.nextLong() & 0x7fffffffffL, 36);
            Path dir = parent.resolve(name.length() > 8 ? name.substring(0, 8) : name);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (attempt < 100) {
                    continue;
                }
                throw e;
            }
            // The umask can only have narrowed it; make sure we can create the socket inside.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            return dir;
        }
    }
}
