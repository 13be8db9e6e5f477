package org.hast.sys;

import org.hast.platform.FileFlags;
import org.hast.platform.SocketConstants;
import org.hast.platform.host.HostPlatform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Descriptor passing inside one process over a {@code SOCK_SEQPACKET} socket pair: what the
 * receiver gets, messages without a descriptor, and that refused messages leak nothing (counted
 * through {@code /proc/self/fd}, which names the file each descriptor refers to).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FdPassingTest {
    @TempDir
    Path dir;
    private Path file;
    private int[] pair;

    @BeforeEach
    void setUp() throws IOException {
        file = dir.resolve("payload");
        Files.write(file, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        pair = RawUnixSocket.socketPair();
    }

    @AfterEach
    void tearDown() {
        SocketLibC.get().close(pair[0]);
        SocketLibC.get().close(pair[1]);
    }

    private int openFile() throws IOException {
        FileFlags files = HostPlatform.current().files();
        int fd = LibC.get().open(file.toString(), files.rdonly() | files.cloexec());
        if (fd < 0) {
            throw new IOException("open " + file + ": " + LibC.get().strerror(LibC.errno()));
        }
        return fd;
    }

    /** How many of this process's descriptors refer to {@code file}. */
    private long openDescriptorsOf(Path target) throws IOException {
        Path real = target.toRealPath();
        try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException e) {
                    return false; // the directory's own descriptor, gone by now
                }
            }).count();
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void receiverReadsThroughTheSameOpenFile() throws IOException {
        int fd = openFile();
        assertEquals(4, FileCalls.get().lseek(fd, 4, FileCalls.SEEK_SET));
        FdPassing.sendFd(pair[0], fd, ascii("meta"));
        SocketLibC.get().close(fd);

        byte[] buffer = new byte[64];
        ReceivedFd received = FdPassing.receiveFd(pair[1], buffer);
        assertTrue(received.hasFd());
        assertEquals(4, received.length());
        assertEquals("meta", new String(buffer, 0, received.length(), StandardCharsets.US_ASCII));
        assertTrue(SocketDescriptors.isCloseOnExec(received.fd()), "MSG_CMSG_CLOEXEC");
        // The offset moved by the sender is the receiver's too: one open file description.
        byte[] content = new byte[6];
        assertEquals(6, FileCalls.get().read(received.fd(), content, content.length));
        assertEquals("456789", new String(content, StandardCharsets.US_ASCII));
        assertEquals(10, FileCalls.get().lseek(received.fd(), 0, FileCalls.SEEK_CUR));
        assertEquals(1, openDescriptorsOf(file));
        RawUnixSocket.close(received.fd());
        assertEquals(0, openDescriptorsOf(file));
    }

    @Test
    void messageWithoutDescriptorIsReturnedAsSuch() throws IOException {
        FdPassing.sendData(pair[0], ascii("plain"));
        byte[] buffer = new byte[16];
        ReceivedFd received = FdPassing.receiveFd(pair[1], buffer);
        assertFalse(received.hasFd());
        assertEquals(ReceivedFd.NO_FD, received.fd());
        assertEquals("plain", new String(buffer, 0, received.length(), StandardCharsets.US_ASCII));
    }

    @Test
    void seqpacketKeepsEachMessageApart() throws IOException {
        int fd = openFile();
        FdPassing.sendData(pair[0], ascii("a"));
        FdPassing.sendFd(pair[0], fd, ascii("bb"));
        FdPassing.sendData(pair[0], ascii("ccc"));
        SocketLibC.get().close(fd);
        byte[] buffer = new byte[16];
        ReceivedFd first = FdPassing.receiveFd(pair[1], buffer);
        ReceivedFd second = FdPassing.receiveFd(pair[1], buffer);
        ReceivedFd third = FdPassing.receiveFd(pair[1], buffer);
        assertEquals(1, first.length());
        assertFalse(first.hasFd());
        assertEquals(2, second.length());
        assertTrue(second.hasFd());
        assertEquals(3, third.length());
        assertFalse(third.hasFd());
        RawUnixSocket.close(second.fd());
    }

    @Test
    void extraDescriptorsAreClosedAndTheMessageRefused() throws IOException {
        int fd = openFile();
        FdPassing.send(pair[0], new int[] {fd, fd, fd}, ascii("x"), 0);
        SocketLibC.get().close(fd);
        IOException e = assertThrows(IOException.class, () -> FdPassing.receiveFd(pair[1], new byte[16]));
        assertTrue(e.getMessage().contains("expected one descriptor, 3 arrived"), e.getMessage());
        assertEquals(0, openDescriptorsOf(file));
        // The channel is still usable afterwards.
        FdPassing.sendData(pair[0], ascii("next"));
        assertEquals(4, FdPassing.receiveFd(pair[1], new byte[16]).length());
    }

    @Test
    void moreDescriptorsThanTheControlBufferHoldsLeakNothing() throws IOException {
        int fd = openFile();
        int[] many = new int[FdPassing.MAX_RECEIVED_FDS + 4];
        Arrays.fill(many, fd);
        FdPassing.send(pair[0], many, ascii("x"), 0);
        SocketLibC.get().close(fd);
        IOException e = assertThrows(IOException.class, () -> FdPassing.receiveFd(pair[1], new byte[16]));
        assertTrue(e.getMessage().contains("more than 16 descriptors"), e.getMessage());
        assertEquals(0, openDescriptorsOf(file));
    }

    @Test
    void messageLongerThanTheBufferIsRefusedAndItsDescriptorClosed() throws IOException {
        int fd = openFile();
        FdPassing.sendFd(pair[0], fd, new byte[100]);
        SocketLibC.get().close(fd);
        IOException e = assertThrows(IOException.class, () -> FdPassing.receiveFd(pair[1], new byte[10]));
        assertTrue(e.getMessage().contains("longer than the 10-byte buffer"), e.getMessage());
        assertEquals(0, openDescriptorsOf(file));
    }

    @Test
    void peerCloseIsEndOfFile() throws IOException {
        SocketLibC.get().close(pair[0]);
        assertThrows(EOFException.class, () -> FdPassing.receiveFd(pair[1], new byte[16]));
    }

    @Test
    void shutdownWakesABlockedReceiver() throws Exception {
        CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try {
                FdPassing.receiveFd(pair[1], new byte[16]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        assertFalse(outcome.isDone(), "the receiver should be blocked");
        RawUnixSocket.shutdown(pair[1]);
        assertTrue(outcome.get(10, TimeUnit.SECONDS) instanceof EOFException);
    }

    @Test
    void badDescriptorsGiveStrerrorText() throws IOException {
        IOException badSocket = assertThrows(IOException.class,
                () -> FdPassing.sendFd(Integer.MAX_VALUE, 0, ascii("x")));
        assertEquals("Unable to send descriptor 0 on socket " + Integer.MAX_VALUE + ": Bad file descriptor",
                badSocket.getMessage());
        IOException badPayload = assertThrows(IOException.class,
                () -> FdPassing.sendFd(pair[0], Integer.MAX_VALUE, ascii("x")));
        assertTrue(badPayload.getMessage().endsWith(": Bad file descriptor"), badPayload.getMessage());
        IOException badReceive = assertThrows(IOException.class,
                () -> FdPassing.receiveFd(Integer.MAX_VALUE, new byte[4]));
        assertTrue(badReceive.getMessage().endsWith(": Bad file descriptor"), badReceive.getMessage());

        int fd = openFile();
        try {
            IOException notSocket = assertThrows(IOException.class, () -> FdPassing.sendFd(fd, fd, ascii("x")));
            assertTrue(notSocket.getMessage().endsWith(": Socket operation on non-socket"), notSocket.getMessage());
        } finally {
            SocketLibC.get().close(fd);
        }
        assertThrows(IllegalArgumentException.class, () -> FdPassing.sendFd(pair[0], 0, new byte[0]));
    }

    @Test
    void sendToAClosedPeerFailsWithoutSignal() {
        SocketLibC.get().close(pair[1]);
        IOException e = assertThrows(IOException.class, () -> FdPassing.sendData(pair[0], ascii("x")));
        assertTrue(e.getMessage().endsWith(": Broken pipe"), e.getMessage());
    }

    @Test
    void streamSocketsCarryADescriptorToo() throws IOException {
        int[] stream = new int[2];
        SocketConstants sockets = HostPlatform.current().sockets();
        assertEquals(0, SocketLibC.get().socketpair(sockets.afUnix(), sockets.sockStream() | sockets.sockCloexec(), 0,
                stream));
        int fd = openFile();
        try {
            FdPassing.sendFd(stream[0], fd, ascii("hdr"));
            SocketLibC.get().close(fd);
            byte[] buffer = new byte[3];
            ReceivedFd received = FdPassing.receiveFd(stream[1], buffer);
            assertTrue(received.hasFd());
            assertArrayEquals(ascii("hdr"), buffer);
            byte[] content = new byte[4];
            assertEquals(4, FileCalls.get().read(received.fd(), content, content.length));
            assertEquals("0123", new String(content, StandardCharsets.US_ASCII));
            RawUnixSocket.close(received.fd());
        } finally {
            SocketLibC.get().close(stream[0]);
            SocketLibC.get().close(stream[1]);
        }
        assertEquals(0, openDescriptorsOf(file));
    }
}
