package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * The daemon half's hand-over: the parent relays the child's output until the ready line and
 * then exits, so a warning from the switch to syslog must come before that line or the
 * operator never sees it.
 */
class DaemonizerTest {
    @Test
    void syslogWarningsReachTheParentBeforeTheReadyLine() {
        ByteArrayOutputStream pipe = new ByteArrayOutputStream();
        PrintStream toParent = new PrintStream(pipe, true, StandardCharsets.UTF_8);
        Daemonizer.handOver(toParent, () -> toParent.println("[WARNING] Syslog socket /dev/log does not exist"));
        assertEquals("[WARNING] Syslog socket /dev/log does not exist\n" + Daemonizer.READY + "\n",
                pipe.toString(StandardCharsets.UTF_8));
    }
}
