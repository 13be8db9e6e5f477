package org.hast.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syslog mode with a recording sink in place of libc: which priority and which text each
 * event becomes. {@link NativeSyslogTest} checks the real libc path where it can.
 */
class SyslogOutputTest {
    private static final Logger LOG = LoggerFactory.getLogger("org.hast.daemon.test.syslog");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    private final Recorder sink = new Recorder();

    /** What a fake syslog received, as {@code <priority> text} strings. */
    static final class Recorder implements SyslogSink {
        final List<String> sent = new ArrayList<>();
        int opens;
        int closes;

        @Override
        public void open() {
            opens++;
        }

        @Override
        public synchronized void send(int priority, String text) {
            sent.add("<" + priority + "> " + text);
        }

        @Override
        public void close() {
            closes++;
        }
    }

    @AfterEach
    void restore() {
        HastLogging.setPrefix("");
        HastLogging.configureForeground(0);
    }

    private void configure(int debugLevel, Path socket) {
        HastLogging.configureSyslog(debugLevel, sink, socket,
                new PrintStream(warnings, true, StandardCharsets.UTF_8));
    }

    @Test
    void everyLevelAtItsPriorityWithoutTag() throws Exception {
        Path socket = java.nio.file.Files.createFile(dir.resolve("log"));
        configure(2, socket);
        HastLogging.setPrefix("[shared] (secondary) ");
        LOG.error("an error");
        LOG.warn("a warning");
        LOG.info(HastLogging.NOTICE, "a notice");
        LOG.info("some info");
        LOG.debug("debug one");
        LOG.trace("debug two\nfolded");
        assertEquals(List.of(
                "<3> [shared] (secondary) an error",
                "<4> [shared] (secondary) a warning",
                "<5> [shared] (secondary) a notice",
                "<6> [shared] (secondary) some info",
                "<7> [shared] (secondary) debug one",
                "<7> [shared] (secondary) debug two folded"), sink.sent);
        assertEquals(1, sink.opens);
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
        assertTrue(HastLogging.isSyslog());
    }

    @Test
    void debugLevelFiltersAsInForeground() throws Exception {
        configure(0, java.nio.file.Files.createFile(dir.resolve("log")));
        LOG.debug("hidden");
        LOG.info("shown");
        assertEquals(List.of("<6> shown"), sink.sent);
    }

    @Test
    void exceptionSuffixAndStackTraceAtLevelTwo() throws Exception {
        configure(1, java.nio.file.Files.createFile(dir.resolve("log")));
        LOG.error("Unable to read metadata", new java.io.IOException("Input/output error"));
        assertEquals(List.of("<3> Unable to read metadata: Input/output error."), sink.sent);
        sink.sent.clear();
        HastLogging.setDebugLevel(2);
        LOG.error("Unable to read metadata", new java.io.IOException("Input/output error"));
        assertEquals("<3> Unable to read metadata: Input/output error.", sink.sent.get(0));
        assertEquals("<7> java.io.IOException: Input/output error", sink.sent.get(1));
        assertTrue(sink.sent.get(2).startsWith("<7>  at org.hast.daemon.log.SyslogOutputTest."), sink.sent.get(2));
    }

    @Test
    void critStackTraceGoesToSyslogAtCritWhateverTheDebugLevel() throws Exception {
        configure(0, java.nio.file.Files.createFile(dir.resolve("log")));
        HastLogging.setPrefix("[shared] (primary) ");
        LOG.error(HastLogging.CRIT, "Thread {} died, exiting", "disk", new OutOfMemoryError("Direct buffer memory"));
        assertEquals("<2> [shared] (primary) Thread disk died, exiting: Direct buffer memory.", sink.sent.get(0));
        assertEquals("<2> [shared] (primary) java.lang.OutOfMemoryError: Direct buffer memory", sink.sent.get(1));
        assertTrue(sink.sent.get(2).startsWith("<2> [shared] (primary)  at org.hast.daemon.log.SyslogOutputTest."),
                sink.sent.get(2));
    }

    @Test
    void missingSocketGivesOneWarningOnStderr() {
        configure(0, dir.resolve("no-such-socket"));
        LOG.info("lost");
        assertEquals("[WARNING] Syslog socket " + dir.resolve("no-such-socket")
                + " does not exist, log messages will be lost.\n", warnings.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("<6> lost"), sink.sent);
    }

    @Test
    void leavingSyslogClosesItAndReconfiguringReopens() throws Exception {
        Path socket = java.nio.file.Files.createFile(dir.resolve("log"));
        configure(0, socket);
        configure(1, socket);
        assertEquals(2, sink.opens);
        assertEquals(1, sink.closes);
        HastLogging.configureForeground(0);
        assertEquals(2, sink.closes);
    }

    @Test
    void longTextIsCutTo1023Bytes() throws Exception {
        configure(0, java.nio.file.Files.createFile(dir.resolve("log")));
        LOG.info("x".repeat(5000));
        assertEquals("<6> " + "x".repeat(LogLine.SYSLOG_MAX_BYTES), sink.sent.get(0));
    }
}
