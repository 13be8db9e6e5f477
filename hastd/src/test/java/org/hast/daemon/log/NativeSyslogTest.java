package org.hast.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real path: slf4j → our appender → libc syslog(3) → a datagram socket at the syslog
 * path, played by a small python3 receiver. Only done as root on a host without a syslog
 * socket, where the path can be borrowed for the test and removed afterwards; a host with a
 * running syslog daemon is left alone (the test is skipped there, since libc's socket path
 * cannot be redirected).
 */
class NativeSyslogTest {
    private static final Logger LOG = LoggerFactory.getLogger("org.hast.daemon.test.native");
    private static final int LOG_DAEMON = 3 << 3;

    /** Binds argv[1], says "ready", then prints each datagram on one line until killed. */
    private static final String RECEIVER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
            "s.bind(sys.argv[1])",
            "print('ready', flush=True)",
            "while True:",
            "    data = s.recv(65536).decode('utf-8', 'replace')",
            "    print(data.replace('\\n', ' '), flush=True)");

    private Process receiver;
    private Path socket;

    @AfterEach
    void cleanUp() throws Exception {
        HastLogging.setPrefix("");
        HastLogging.configureForeground(0);
        if (receiver != null) {
            receiver.destroy();
            receiver.waitFor(10, TimeUnit.SECONDS);
        }
        if (socket != null) {
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void messagesReachTheSyslogSocketWithPidAndPriority() throws Exception {
        Path path = HastLogging.syslogSocket();
        Assumptions.assumeFalse(Files.exists(path), "a syslog daemon owns " + path + "; not borrowing it");
        Requirements.requireRoot();
        Path python = Requirements.requireTool("python3", "python3");

        receiver = new ProcessBuilder(python.toString(), "-c", RECEIVER, path.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(receiver.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // The receiver was killed: the test is over.
            }
        }, "syslog-receiver");
        reader.setDaemon(true);
        reader.start();
        String ready = lines.poll(30, TimeUnit.SECONDS);
        Requirements.require("ready".equals(ready), "cannot bind a datagram socket at " + path);
        // Only now is the path ours to remove afterwards.
        socket = path;

        HastLogging.configureSyslog(1);
        HastLogging.setPrefix(HastLogging.workerPrefix("shared", "primary"));
        String token = "t" + System.nanoTime();
        LOG.error("{} error", token);
        LOG.warn("{} warning", token);
        LOG.info("{} info é", token);
        LOG.debug("{} debug", token, new java.io.IOException("Broken pipe"));
        LOG.trace("{} never sent", token);

        long pid = ProcessHandle.current().pid();
        List<String> expected = List.of(
                "<" + (LOG_DAEMON | 3) + ">|hastd[" + pid + "]: [shared] (primary) " + token + " error",
                "<" + (LOG_DAEMON | 4) + ">|hastd[" + pid + "]: [shared] (primary) " + token + " warning",
                "<" + (LOG_DAEMON | 6) + ">|hastd[" + pid + "]: [shared] (primary) " + token + " info é",
                "<" + (LOG_DAEMON | 7) + ">|hastd[" + pid + "]: [shared] (primary) " + token
                        + " debug: Broken pipe.");
        for (String want : expected) {
            String line = nextWith(lines, token);
            assertNotNull(line, "nothing received for: " + want);
            String[] parts = want.split("\\|", 2);
            assertTrue(line.startsWith(parts[0]), line + " should start with " + parts[0]);
            assertTrue(line.endsWith(parts[1]), line + " should end with " + parts[1]);
        }
        LOG.info("{} last", token);
        String last = nextWith(lines, token);
        assertTrue(last != null && last.endsWith(token + " last"), "trace leaked to syslog: " + last);
    }

    /** The next received line carrying our token (other programs may log meanwhile). */
    private static String nextWith(BlockingQueue<String> lines, String token) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null || line.contains(token)) {
                return line;
            }
        }
        return null;
    }
}
