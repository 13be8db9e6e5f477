package org.hast.device.nbd;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The listener: addresses, the socket file's life, the connection cap. */
@Timeout(60)
@ExtendWith(NbdLeaks.class)
class NbdServerTest {
    @TempDir
    Path dir;

    @Test
    void unixSocketIsPrivateAndRemovedOnClose() throws Exception {
        NbdFixture fx = new NbdFixture(dir, 1 << 20);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fx.socket)));
        } finally {
            fx.close();
        }
        assertFalse(Files.exists(fx.socket));
    }

    @Test
    void unixSocketIsBoundInAPrivateDirectoryAndMovedIntoPlace() throws Exception {
        Path sock = dir.resolve("s");
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 4096, true)) {
            NbdServer server = NbdServer.start("uds://" + sock, "r", backend);
            try {
                // The kernel still reports the path bind() got: a private directory beside the
                // socket, never the final name, which only ever existed with mode 0600.
                Path bound = Path.of(((io.netty.channel.unix.DomainSocketAddress) server.localAddress()).path());
                assertNotEquals(sock, bound);
                assertEquals(dir, bound.getParent().getParent());
                assertTrue(bound.getParent().getFileName().toString().startsWith(".h"), bound.toString());
                assertFalse(Files.exists(bound.getParent()), "the private directory is removed");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
                try (NbdTestClient c = NbdTestClient.connect(sock)) {
                    assertEquals(4096, c.handshake("r"));
                }
            } finally {
                server.close();
            }
            assertFalse(Files.exists(sock));
        }
    }

    @Test
    void tcpBeyondLoopbackWithoutTlsIsRefused() throws Exception {
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 4096, true)) {
            for (String address : new String[] {"tcp4://0.0.0.0:10809", "tcp6://[::]:10809"}) {
                IOException e = assertThrows(IOException.class, () -> NbdServer.start(address, "r", backend));
                assertTrue(e.getMessage().endsWith("is not a loopback address and no TLS is configured"),
                        e.getMessage());
            }
        }
    }

    @Test
    void everyUnixSpellingWorks() throws Exception {
        Path sock = dir.resolve("s");
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 4096, true)) {
            for (String address : new String[] {"uds://" + sock, "unix://" + sock, sock.toString()}) {
                NbdServer server = NbdServer.start(address, "r", backend);
                try (NbdTestClient c = NbdTestClient.connect(sock)) {
                    assertEquals(4096, c.handshake("r"), address);
                } finally {
                    server.close();
                }
            }
        }
    }

    @Test
    void staleSocketIsReplacedButARegularFileIsNot() throws Exception {
        Path sock = dir.resolve("s");
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 4096, true)) {
            // a socket left behind by a process that died: bound, never closed
            java.nio.channels.ServerSocketChannel stale =
                    java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            stale.bind(java.net.UnixDomainSocketAddress.of(sock));
            NbdServer server = NbdServer.start("uds://" + sock, "r", backend);
            try (NbdTestClient c = NbdTestClient.connect(sock)) {
                assertEquals(4096, c.handshake("r"));
            } finally {
                server.close();
                stale.close();
            }
            Path regular = dir.resolve("precious");
            Files.writeString(regular, "data");
            assertThrows(IOException.class, () -> NbdServer.start(regular.toString(), "r", backend));
            assertEquals("data", Files.readString(regular));
        }
    }

    @Test
    void tcpOnLoopback() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 8192, true)) {
            NbdServer server = NbdServer.start("tcp4://127.0.0.1:" + port, "r", backend);
            try (NbdTestClient c = NbdTestClient.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertEquals(port, ((InetSocketAddress) server.localAddress()).getPort());
                assertEquals(8192, c.handshake(""));
                assertEquals(0, c.write(8191, new byte[] {1}, 0));
                assertArrayEquals(new byte[] {1}, c.read(8191, 1));
            } finally {
                server.close();
            }
        }
    }

    @Test
    void badAddressIsAnIOException() throws Exception {
        try (FileBackend backend = new FileBackend(dir.resolve("f"), 4096, true)) {
            assertThrows(IOException.class, () -> NbdServer.start("ftp://x", "r", backend));
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtAccept() throws Exception {
        List<NbdTestClient> clients = new ArrayList<>();
        try (NbdFixture fx = new NbdFixture(dir, 1 << 20)) {
            try {
                for (int i = 0; i < NbdServer.MAX_CONNECTIONS; i++) {
                    NbdTestClient c = fx.client();
                    clients.add(c);
                    c.readGreeting();
                }
                try (NbdTestClient extra = fx.client()) {
                    assertTrue(extra.closedByServer());
                }
                assertEquals(NbdServer.MAX_CONNECTIONS, fx.server.connectionCount());
                clients.remove(0).close();
                NbdTransmissionTest.waitFor(() -> fx.server.connectionCount() < NbdServer.MAX_CONNECTIONS);
                try (NbdTestClient again = fx.transmitting()) {
                    assertArrayEquals(new byte[2], again.read(0, 2));
                }
            } finally {
                for (NbdTestClient c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void closeDisconnectsClientsWithRequestsInFlight() throws Exception {
        NbdFixture fx = new NbdFixture(dir, 1 << 20);
        fx.backend.holdOffsets.add(0L);
        try (NbdTestClient c = fx.transmitting()) {
            c.sendRequest(0, NbdProtocol.CMD_WRITE, 1, 0, 4096,
                    new byte[4096]);
            c.sendRequest(0, NbdProtocol.CMD_READ, 2, 0, 4096, null);
            NbdTransmissionTest.waitFor(() -> fx.backend.heldCount() == 2);
            fx.server.close();
            assertTrue(c.closedByServer());
            fx.backend.releaseHeld(); // completions after the loop is gone must still free the buffers
        } finally {
            fx.fileBackend.close();
        }
    }
}
