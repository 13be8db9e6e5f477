package org.hast.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.BiPredicate;

/**
 * Deleting what the tests leave behind, without ever crossing into a file system mounted below
 * (a FUSE mount of a test that is still being torn down, say): such a directory is left alone.
 */
public final class TestFiles {
    private TestFiles() {
    }

    /** Deletes {@code root} and everything under it on the same file system; quiet when absent. */
    public static void deleteTree(Path root) {
        deleteMatching(root, (path, attrs) -> true, true);
    }

    /**
     * Deletes the regular files under {@code root} that {@code which} accepts, and with
     * {@code directories} the directories left empty (root included).
     */
    public static void deleteMatching(Path root, BiPredicate<Path, BasicFileAttributes> which,
            boolean directories) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Object device;
        try {
            device = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    return device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))
                            ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (!attrs.isDirectory() && which.test(file, attrs)) {
                        quietly(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    if (directories) {
                        quietly(dir); // fails, harmlessly, when something was kept inside
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("cleanup of " + root + ": " + e);
        }
    }

    private static void quietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // A non-empty directory, or a file another process holds somewhere we may not write.
        }
    }
}
