package org.hast.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;

/** The foreground format end to end: slf4j call → logback → our appender → the streams. */
class HastLoggingTest {
    private static final Logger LOG = LoggerFactory.getLogger("org.hast.daemon.test");

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    @AfterEach
    void restore() {
        HastLogging.setPrefix("");
        HastLogging.configureForeground(0);
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private static void logEveryLevel() {
        LOG.error("an error");
        LOG.warn("a warning");
        LOG.info("some info");
        LOG.debug("debug one");
        LOG.trace("debug two");
    }

    @Test
    void debugLevelZeroShowsInfoAndAbove() {
        HastLogging.configureForeground(0, out, err);
        logEveryLevel();
        assertEquals("[INFO] some info\n", out());
        assertEquals("[ERROR] an error\n[WARNING] a warning\n", err());
    }

    @Test
    void debugLevelOneAddsDebug() {
        HastLogging.configureForeground(1, out, err);
        logEveryLevel();
        assertEquals("[INFO] some info\n[DEBUG][1] debug one\n", out());
        assertEquals("[ERROR] an error\n[WARNING] a warning\n", err());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 7})
    void debugLevelTwoAndMoreAddTrace(int level) {
        HastLogging.configureForeground(level, out, err);
        logEveryLevel();
        assertEquals("[INFO] some info\n[DEBUG][1] debug one\n[DEBUG][2] debug two\n", out());
        assertEquals("[ERROR] an error\n[WARNING] a warning\n", err());
    }

    @Test
    void noticeAndCritMarkers() {
        HastLogging.configureForeground(0, out, err);
        LOG.info(HastLogging.NOTICE, "noted");
        LOG.info(org.slf4j.MarkerFactory.getMarker("NOTICE"), "same name, same meaning");
        LOG.error(HastLogging.CRIT, "Assertion failed: (x), file y, line 1.");
        assertEquals("[NOTICE] noted\n[NOTICE] same name, same meaning\n", out());
        assertEquals("[CRIT] Assertion failed: (x), file y, line 1.\n", err());
    }

    @Test
    void prefixGoesAfterTheTag() {
        HastLogging.configureForeground(2, out, err);
        HastLogging.setPrefix(HastLogging.workerPrefix("shared", "primary"));
        LOG.warn("Unable to connect to {}.", "tcp://10.0.0.2:8457");
        LOG.trace("Checking hooks.");
        assertEquals("[WARNING] [shared] (primary) Unable to connect to tcp://10.0.0.2:8457.\n", err());
        assertEquals("[DEBUG][2] [shared] (primary) Checking hooks.\n", out());
        assertEquals("[shared] (primary) ", HastLogging.prefix());
    }

    @Test
    void prefixIsCutAt127CharactersAndNullClearsIt() {
        HastLogging.setPrefix("p".repeat(300));
        assertEquals(127, HastLogging.prefix().length());
        HastLogging.setPrefix(null);
        assertEquals("", HastLogging.prefix());
    }

    @Test
    void exceptionMessageIsAppendedWithoutStackTraceBelowLevelTwo() {
        HastLogging.configureForeground(1, out, err);
        LOG.error("Unable to open {}", "/etc/hast.conf", new NoSuchFileException("/etc/hast.conf"));
        LOG.info("Lost {}", "connection", new java.io.IOException("Connection reset by peer"));
        assertEquals("[ERROR] Unable to open /etc/hast.conf: No such file or directory.\n", err());
        assertEquals("[INFO] Lost connection: Connection reset by peer.\n", out());
    }

    @Test
    void stackTraceFollowsOnStderrAtLevelTwo() {
        HastLogging.configureForeground(2, out, err);
        LOG.info("Lost connection", new java.io.IOException("reset"));
        assertEquals("[INFO] Lost connection: reset.\n", out());
        List<String> lines = err().lines().toList();
        assertEquals("java.io.IOException: reset", lines.get(0));
        assertTrue(lines.get(1).startsWith("\tat org.hast.daemon.log.HastLoggingTest."), lines.get(1));
    }

    @Test
    void critCarriesItsStackTraceAtEveryDebugLevel() {
        HastLogging.configureForeground(0, out, err);
        LOG.error(HastLogging.CRIT, "Thread {} died, exiting", "local-0", new IllegalStateException("invariant"));
        List<String> lines = err().lines().toList();
        assertEquals("[CRIT] Thread local-0 died, exiting: invariant.", lines.get(0));
        assertEquals("java.lang.IllegalStateException: invariant", lines.get(1));
        assertTrue(lines.get(2).startsWith("\tat org.hast.daemon.log.HastLoggingTest."), lines.get(2));
        assertEquals("", out());
    }

    @Test
    void embeddedNewlinesAreFolded() {
        HastLogging.configureForeground(0, out, err);
        LOG.info("first\nsecond\r\nthird");
        assertEquals("[INFO] first second third\n", out());
    }

    @Test
    void setDebugLevelKeepsTheDestination() {
        HastLogging.configureForeground(0, out, err);
        LOG.debug("hidden");
        HastLogging.setDebugLevel(1);
        assertEquals(1, HastLogging.debugLevel());
        LOG.debug("shown");
        LOG.trace("still hidden");
        HastLogging.setDebugLevel(0);
        LOG.debug("hidden again");
        assertEquals("[DEBUG][1] shown\n", out());
        assertThrows(IllegalArgumentException.class, () -> HastLogging.setDebugLevel(-1));
    }

    @Test
    void librariesStayAtInfoUntilLevelThree() {
        Logger library = LoggerFactory.getLogger("io.netty.util.internal.PlatformDependent");
        HastLogging.configureForeground(2, out, err);
        library.debug("library chatter");
        library.info("library info");
        HastLogging.configureForeground(3, out, err);
        library.debug("library debug");
        library.trace("library trace");
        assertEquals("[INFO] library info\n[DEBUG][1] library debug\n", out());
    }

    @Test
    void ourAppenderIsTheRootLoggersOnlyOne() {
        HastLogging.configureForeground(0, out, err);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        List<String> names = new ArrayList<>();
        Iterator<Appender<ILoggingEvent>> it =
                context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
        it.forEachRemaining(a -> names.add(a.getName()));
        assertEquals(List.of(PjdlogAppender.NAME), names);
        assertFalse(HastLogging.isSyslog());
    }
}
