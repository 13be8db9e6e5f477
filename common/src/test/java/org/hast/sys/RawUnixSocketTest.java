package org.hast.sys;

import org.hast.platform.host.HostPlatform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fd channel's set-up: listen in a private directory, connect, accept with a time limit. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RawUnixSocketTest {
    @TempDir
    Path temp;
    private Path dir;

    @BeforeEach
    void privateDirectory() throws IOException {
        dir = Files.createDirectory(temp.resolve("private"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    @Test
    void workerConnectsAndParentAcceptsAndChecksThePeer() throws IOException {
        Path path = dir.resolve("w1.fd");
        int listening = RawUnixSocket.listen(path, 1);
        int worker = RawUnixSocket.connect(path);
        int parent = RawUnixSocket.accept(listening, 5_000);
        try {
            for (int fd : new int[] {listening, worker, parent}) {
                assertTrue(SocketDescriptors.isCloseOnExec(fd), "descriptor " + fd);
            }
            assertEquals(HostPlatform.current().sockets().sockSeqpacket(), SocketDescriptors.type(parent));
            assertTrue(!SocketDescriptors.isNonBlocking(parent), "accepted sockets block");
            assertEquals(ProcessHandle.current().pid(), RawUnixSocket.peerPid(parent));
            FdPassing.sendData(worker, "ready".getBytes(StandardCharsets.US_ASCII));
            assertEquals(5, FdPassing.receiveFd(parent, new byte[8]).length());
        } finally {
            RawUnixSocket.close(parent);
            RawUnixSocket.close(worker);
            RawUnixSocket.close(listening);
        }
    }

    @Test
    void acceptGivesUpAtTheTimeLimit() throws IOException {
        int listening = RawUnixSocket.listen(dir.resolve("w2.fd"), 1);
        try {
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> RawUnixSocket.accept(listening, 100));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(90));
        } finally {
            RawUnixSocket.close(listening);
        }
    }

    @Test
    void pathErrorsAreNamed() throws IOException {
        Path tooLong = dir.resolve("x".repeat(HostPlatform.current().sockets().sunPathBytes()));
        IOException longPath = assertThrows(IOException.class, () -> RawUnixSocket.listen(tooLong, 1));
        assertTrue(longPath.getMessage().startsWith("Unix socket path is too long"), longPath.getMessage());

        Path taken = dir.resolve("taken");
        Files.createFile(taken);
        IOException inUse = assertThrows(IOException.class, () -> RawUnixSocket.listen(taken, 1));
        assertEquals("Unable to bind Unix socket " + taken + ": Address already in use", inUse.getMessage());

        Path missing = dir.resolve("missing");
        IOException refused = assertThrows(IOException.class, () -> RawUnixSocket.connect(missing));
        assertEquals("Unable to connect to Unix socket " + missing + ": No such file or directory",
                refused.getMessage());
    }
}
