package org.hast.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules for {@code <devdir>/<name>}: ours is always a symlink to the device; a stale
 * symlink is replaced, anything else (a file, a device node, a directory) is someone else's and
 * is never touched; on the way out the link is removed only while it still points where we
 * made it point.
 */
final class ProviderLink {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderLink.class);

    private ProviderLink() {
    }

    /** Makes {@code link -> target}, creating {@code link}'s directory when missing. */
    static void create(Path link, Path target) throws IOException {
        Files.createDirectories(link.getParent());
        if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isSymbolicLink(link)) {
                throw new IOException(link + " exists and is not a symlink; refusing to replace it");
            }
            LOG.warn("Replacing stale symlink {} -> {}.", link, Files.readSymbolicLink(link));
            Files.delete(link);
        }
        Files.createSymbolicLink(link, target);
    }

    /** Removes {@code link} if it is a symlink to {@code target}; returns whether it did. */
    static boolean removeIfPointsTo(Path link, Path target) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            return false;
        }
        Path current = Files.readSymbolicLink(link);
        if (!current.equals(target)) {
            LOG.warn("{} now points to {}, not {}; left in place.", link, current, target);
            return false;
        }
        return Files.deleteIfExists(link);
    }
}
