package org.hast.it.failover;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a node's backing disk directly: what it holds, whatever hast or a manager says. */
public final class BackingDisk {
    private BackingDisk() {
    }

    /** Whether {@code text} (UTF-8) occurs anywhere in {@code disk}. */
    public static boolean contains(Path disk, String text) throws IOException {
        byte[] bytes = Files.readAllBytes(disk);
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i <= bytes.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
