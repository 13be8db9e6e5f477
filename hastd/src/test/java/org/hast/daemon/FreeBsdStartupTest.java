package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.hast.platform.freebsd.FreeBsdPlatform;
import org.hast.testing.Processes;
import org.hast.util.SysExits;
import org.hast.platform.linux.LinuxPlatform;
import org.hast.transport.TransportChoice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * hastd's start-up as FreeBSD gets it, as far as Linux can show it: FreeBSD's platform picks the
 * NIO transport, and a real hastd whose JVM cannot load Netty's native transports (as on
 * FreeBSD, where Netty ships none; {@code -Dio.netty.transport.noNative=true} here) starts,
 * listens on the default pair's shape ({@code tcp4://0.0.0.0:P} beside {@code tcp6://[::]:P},
 * which the JDK's dual-stack IPv6 sockets would make collide), refuses a stranger's connection
 * with a log line, and stops on SIGTERM. The FreeBSD-only kernel calls (GEOM Gate, DIOC*
 * ioctls, LOCAL_PEERCRED) are not reached: the resource stays in role init. About 3 s.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FreeBsdStartupTest {

    @Test
    void freebsdChoosesNioAndRefusesEpoll() {
        FreeBsdPlatform freebsd = new FreeBsdPlatform();
        assertEquals("nio", TransportChoice.choose(null, null, freebsd));
        assertEquals("nio", TransportChoice.choose(null, "NIO", freebsd));
        IllegalArgumentException epoll = assertThrows(IllegalArgumentException.class,
                () -> TransportChoice.choose("epoll", null, freebsd));
        assertEquals("hast.transport=epoll: the epoll transport exists on Linux only, not freebsd", epoll.getMessage());
        LinuxPlatform linux = LinuxPlatform.forArch("amd64");
        assertEquals("epoll", TransportChoice.choose(null, " ", linux), "Linux keeps its measured default");
        assertEquals("nio", TransportChoice.choose("nio", "epoll", linux), "the property wins over the environment");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> TransportChoice.choose("kqueue", null, linux));
        assertEquals("hast.transport=kqueue: expected epoll or nio", unknown.getMessage());
    }

    @Test
    void hastdRefusesAnUnknownTransportWithOneLine(@TempDir Path dir) throws Exception {
        List<String> command = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dhast.transport=kqueue", "-cp", System.getProperty("java.class.path"), HastdMain.class.getName(),
                "-F", "-c", dir.resolve("hast.conf").toString());
        Processes.Result result = Processes.run(command, Map.of(), Duration.ofSeconds(60));
        assertEquals(SysExits.EX_CONFIG, result.exitCode(), result.toString());
        assertEquals(List.of("[ERROR] hast.transport=kqueue: expected epoll or nio."), result.stderrLines(),
                result.toString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean hasIpv6Loopback() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void hastdStartsWithoutNativeTransportsAndServesItsListeners(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path local = dir.resolve("disk");
        try (var file = new java.io.RandomAccessFile(local.toFile(), "rw")) {
            file.setLength(1 << 20);
        }
        Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(dir.resolve("state"));
        String listen = "\tlisten tcp4://0.0.0.0:" + port + "\n"
                + (hasIpv6Loopback() ? "\tlisten tcp6://[::]:" + port + "\n" : "");
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "on fbsd {\n\tcontrol uds://" + dir.resolve("ctl") + "\n\tpidfile "
                + dir.resolve("pid") + "\n" + listen + "\tdevdir " + dir.resolve("dev") + "\n\tstatedir "
                + dir.resolve("state") + "\n}\nresource r0 {\n\ton fbsd {\n\t\tlocal " + local
                + "\n\t\tremote tcp4://127.0.0.1:" + freePort() + "\n\t}\n}\n");
        Path log = dir.resolve("hastd.log");
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-opens");
        command.add("java.base/sun.nio.ch=ALL-UNNAMED");
        command.add("-Dio.netty.transport.noNative=true");
        command.add("-Dhast.transport=" + TransportChoice.choose(null, null, new FreeBsdPlatform()));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(HastdMain.class.getName());
        command.addAll(List.of("-F", "-d", "-c", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("HAST_NODE", "fbsd");
        builder.environment().remove("HAST_TRANSPORT");
        Process hastd = builder.start();
        try {
            awaitLog(hastd, log, "Started successfully");
            try (Socket stranger = new Socket()) {
                stranger.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                stranger.setSoTimeout(30_000);
                stranger.getOutputStream().write("not a hast header, just bytes\n".repeat(4)
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = stranger.getInputStream();
                // The daemon answers garbage by closing (possibly with a reset): it stays up.
                try {
                    while (in.read() >= 0) {
                        // drain whatever it says
                    }
                } catch (IOException reset) {
                    // closed with unread data: a reset is a close too
                }
            }
            assertTrue(hastd.isAlive(), "hastd survived a stranger:\n" + Files.readString(log));
            hastd.destroy(); // SIGTERM
            assertTrue(hastd.waitFor(30, TimeUnit.SECONDS), "hastd stops on SIGTERM");
            assertEquals(0, hastd.exitValue(), Files.readString(log));
            String text = Files.readString(log);
            assertFalse(text.contains("epoll"), "nothing mentions epoll:\n" + text);
        } finally {
            hastd.destroyForcibly();
            hastd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void awaitLog(Process process, Path log, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains(line)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("hastd exited " + process.exitValue() + " before \"" + line + "\":\n" + text);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no \"" + line + "\" within 60 s:\n" + Files.readString(log));
    }
}
