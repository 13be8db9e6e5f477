package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon that accepts the control connection and never answers (stopped, wedged) must not
 * hang hastctl: the exchange gives up after its timeout with one line and EX_UNAVAILABLE, the
 * code of a failed receive (spec §2.7).
 */
class ControlClientTimeoutTest {
    @TempDir
    Path dir;

    @Test
    void silentDaemonTimesOutWithUnavailable() throws Exception {
        Path socket = dir.resolve("ctl.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread acceptor = new Thread(() -> {
                try (SocketChannel silent = server.accept()) {
                    // Reads nothing, answers nothing, until hastctl gives up and closes.
                    while (silent.read(java.nio.ByteBuffer.allocate(4096)) >= 0) {
                        Thread.onSpinWait();
                    }
                } catch (java.io.IOException e) {
                    // server closed at the end of the test
                }
            }, "silent-hastd");
            acceptor.setDaemon(true);
            acceptor.start();
            CtlException e = assertThrows(CtlException.class, () -> ControlClient.exchange("uds://" + socket,
                    ListCommand.statusRequest(List.of(), false), Duration.ofSeconds(1)));
            assertEquals(SysExits.EX_UNAVAILABLE, e.exitCode());
            assertEquals("Unable to receive reply from hastd: Operation timed out after 1 s.", e.getMessage());
            assertTrue(e.getMessage().lines().count() == 1);
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
