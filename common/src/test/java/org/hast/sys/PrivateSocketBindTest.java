package org.hast.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Unix socket that is never reachable with umask permissions: bound privately, then moved. */
class PrivateSocketBindTest {
    @TempDir
    Path dir;

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private List<String> entries() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theSocketIsCreatedInAPrivateDirectoryAndAppearsWithMode0600() throws Exception {
        Path target = dir.resolve("ctl.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            PrivateSocketBind.bind(target, where -> {
                // At bind time the final path does not exist, and the socket is created where
                // only we can reach it, whatever the umask gives the file itself.
                assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
                assertNotEquals(target, where);
                assertEquals(dir, where.getParent().getParent());
                assertEquals("rwx------", mode(where.getParent()));
                server.bind(UnixDomainSocketAddress.of(where));
            });
            assertEquals("rw-------", mode(target));
            assertEquals(List.of("ctl.sock"), entries(), "the private directory is gone");
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(target))) {
                assertTrue(client.isConnected(), "the listener is reachable under its final name");
            }
        }
    }

    @Test
    void aStaleSocketIsReplacedAtomically() throws Exception {
        Path target = dir.resolve("s");
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                ServerSocketChannel fresh = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(target));
            Object staleKey = Files.readAttributes(target, "unix:ino").get("ino");
            PrivateSocketBind.bind(target, where -> fresh.bind(UnixDomainSocketAddress.of(where)));
            assertNotEquals(staleKey, Files.readAttributes(target, "unix:ino").get("ino"));
            assertEquals("rw-------", mode(target));
        }
    }

    @Test
    void aFailedBindLeavesNothing() throws Exception {
        Path target = dir.resolve("s");
        IOException e = assertThrows(IOException.class,
                () -> PrivateSocketBind.bind(target, where -> {
                    throw new IOException("no");
                }));
        assertEquals("no", e.getMessage());
        assertEquals(List.of(), entries());
    }

    @Test
    void aDirectoryTooDeepForSunPathIsRefusedCleanly() throws Exception {
        Path deep = Files.createDirectories(dir.resolve("d".repeat(100)));
        IOException e = assertThrows(IOException.class,
                () -> PrivateSocketBind.bind(deep.resolve("s"), where -> {
                    throw new AssertionError("not reached");
                }));
        assertTrue(e.getMessage().contains("too long for a private bind"), e.getMessage());
        try (Stream<Path> list = Files.list(deep)) {
            assertEquals(0, list.count());
        }
    }
}
