package org.hast.daemon.supervision;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A socket directory outlives a killed hastd; the next hastd removes it, and only it. */
class WorkerSocketDirsTest {
    @TempDir
    Path tmp;

    @Test
    void orphansOfDeadHastdAreRemovedOthersKept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path orphan = Files.createDirectory(tmp.resolve("hastd-" + gone.pid() + "-123"));
        Files.createFile(orphan.resolve("w1.sock"));
        Path live = Files.createDirectory(tmp.resolve("hastd-" + ProcessHandle.current().pid() + "-456"));
        Path otherName = Files.createDirectory(tmp.resolve("hastd-98765432101234"));

        Path created = WorkerSocketDirs.create(tmp);

        assertFalse(Files.exists(orphan), "the directory of a hastd that is gone");
        assertTrue(Files.isDirectory(live), "a running hastd's directory stays");
        assertTrue(Files.isDirectory(otherName), "a name without a pid is not ours to judge");
        assertTrue(Files.isDirectory(created));
        assertTrue(created.getFileName().toString().startsWith("hastd-" + ProcessHandle.current().pid() + "-"));
    }
}
