package org.hast.daemon.supervision;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The private directory (mode 0700) where hastd makes its workers' sockets, named after hastd's
 * pid. A hastd that is killed or halts cannot remove its own; the next one removes those whose
 * hastd is gone, so they do not pile up in the temporary directory.
 */
final class WorkerSocketDirs {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerSocketDirs.class);
    private static final Pattern NAME = Pattern.compile("hastd-(\\d+)-\\d+");

    private WorkerSocketDirs() {
    }

    /** A new directory under {@code tmp}, after removing the orphans found there. */
    static Path create(Path tmp) throws IOException {
        removeOrphans(tmp);
        return Files.createTempDirectory(tmp, "hastd-" + ProcessHandle.current().pid() + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** Removes the socket directories under {@code tmp} whose hastd no longer runs. */
    static void removeOrphans(Path tmp) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, "hastd-*")) {
            for (Path dir : entries) {
                Matcher name = NAME.matcher(dir.getFileName().toString());
                if (!name.matches() || isAlive(Long.parseLong(name.group(1)))) {
                    continue;
                }
                try (DirectoryStream<Path> sockets = Files.newDirectoryStream(dir)) {
                    for (Path socket : sockets) {
                        Files.deleteIfExists(socket);
                    }
                }
                Files.deleteIfExists(dir);
                LOG.debug("Removed {}, left by a hastd that is gone.", dir);
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("Unable to clean up old worker socket directories in {}: {}.", tmp, e.toString());
        }
    }

    private static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
