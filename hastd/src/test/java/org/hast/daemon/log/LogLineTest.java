package org.hast.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ThrowableProxy;

/** pjdlog's text, piece by piece (spec §3.10), without any stream or socket. */
class LogLineTest {

    @Test
    void prioritiesAndDebugLevelsOfEachSlf4jLevel() {
        assertEquals(LogLine.LOG_ERR, LogLine.priority(Level.ERROR, null));
        assertEquals(LogLine.LOG_WARNING, LogLine.priority(Level.WARN, null));
        assertEquals(LogLine.LOG_INFO, LogLine.priority(Level.INFO, null));
        assertEquals(LogLine.LOG_DEBUG, LogLine.priority(Level.DEBUG, null));
        assertEquals(LogLine.LOG_DEBUG, LogLine.priority(Level.TRACE, null));
        assertEquals(LogLine.LOG_CRIT, LogLine.priority(Level.ERROR, HastLogging.CRIT));
        assertEquals(LogLine.LOG_NOTICE, LogLine.priority(Level.INFO, HastLogging.NOTICE));
        // A marker only means something on its own level.
        assertEquals(LogLine.LOG_WARNING, LogLine.priority(Level.WARN, HastLogging.CRIT));
        assertEquals(0, LogLine.debugLevel(Level.INFO));
        assertEquals(1, LogLine.debugLevel(Level.DEBUG));
        assertEquals(2, LogLine.debugLevel(Level.TRACE));
    }

    @Test
    void tagsAreThoseOfPjdlog() {
        assertEquals("[CRIT] ", LogLine.tag(LogLine.LOG_CRIT, 0));
        assertEquals("[ERROR] ", LogLine.tag(LogLine.LOG_ERR, 0));
        assertEquals("[WARNING] ", LogLine.tag(LogLine.LOG_WARNING, 0));
        assertEquals("[NOTICE] ", LogLine.tag(LogLine.LOG_NOTICE, 0));
        assertEquals("[INFO] ", LogLine.tag(LogLine.LOG_INFO, 0));
        assertEquals("[DEBUG][1] ", LogLine.tag(LogLine.LOG_DEBUG, 1));
        assertEquals("[DEBUG][2] ", LogLine.tag(LogLine.LOG_DEBUG, 2));
    }

    @Test
    void errorsAndWarningsGoToStderr() {
        assertTrue(LogLine.toStderr(LogLine.LOG_CRIT));
        assertTrue(LogLine.toStderr(LogLine.LOG_ERR));
        assertTrue(LogLine.toStderr(LogLine.LOG_WARNING));
        assertFalse(LogLine.toStderr(LogLine.LOG_NOTICE));
        assertFalse(LogLine.toStderr(LogLine.LOG_INFO));
        assertFalse(LogLine.toStderr(LogLine.LOG_DEBUG));
    }

    @Test
    void bodyIsPrefixMessageAndErrorSuffix() {
        assertEquals("[r] (primary) Connected.", LogLine.body("[r] (primary) ", "Connected.", null));
        assertEquals("Unable to open /x: No such file or directory.",
                LogLine.body("", "Unable to open /x", new ThrowableProxy(new NoSuchFileException("/x"))));
        assertEquals("Unable to connect: Connection refused.",
                LogLine.body("", "Unable to connect", new ThrowableProxy(new java.net.ConnectException("Connection refused"))));
        // No message: the exception's simple class name stands in for strerror.
        assertEquals("Oops: IllegalStateException.",
                LogLine.body("", "Oops", new ThrowableProxy(new IllegalStateException())));
    }

    @Test
    void lineBreaksBecomeSingleSpaces() {
        assertEquals("a b c d  e", LogLine.body("", "a\nb\r\nc\rd\n\ne", null));
        assertEquals("x: one two.", LogLine.body("", "x", new ThrowableProxy(new RuntimeException("one\ntwo"))));
    }

    @Test
    void syslogTextIsCutLikePjdlogsBuffer() {
        String ascii = "a".repeat(2000);
        assertEquals(LogLine.SYSLOG_MAX_BYTES, LogLine.truncateUtf8(ascii, LogLine.SYSLOG_MAX_BYTES).length());
        // 2-byte characters: the cut never splits one.
        String accents = "é".repeat(600);
        String cut = LogLine.truncateUtf8(accents, LogLine.SYSLOG_MAX_BYTES);
        assertEquals(511, cut.length());
        assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= LogLine.SYSLOG_MAX_BYTES);
        assertEquals("short", LogLine.truncateUtf8("short", LogLine.SYSLOG_MAX_BYTES));
    }
}
