package org.hast.device.nbd;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector at PARANOID with its "LEAK:" reports collected, so NBD tests can
 * assert that no buffer was dropped unreleased. The reports are taken from the detector's
 * log rather than through {@code ByteBufUtil.setLeakListener}: that listener is one global
 * slot, which the daemon.net tests' LeakWatch owns when both run in one JVM. Their
 * deliberate canary leak is ignored here. Reports appear only after the leaked buffer is
 * collected and a later tracked allocation polls the detector, hence the GC rounds.
 *
 * <p>A test class says {@code @ExtendWith(NbdLeaks.class)}: the detector is on before its first
 * test, and the class fails after its last one if any buffer leaked.
 */
final class NbdLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final String CANARY = "hast-leak-canary";
    private static final List<String> REPORTS = new ArrayList<>();
    private static boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = leaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " leaked buffers: " + leaks);
        }
    }

    static synchronized void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        if (!installed) {
            AppenderBase<ILoggingEvent> collector = new AppenderBase<>() {
                @Override
                protected void append(ILoggingEvent event) {
                    String message = event.getFormattedMessage();
                    if (message != null && message.contains("LEAK") && !message.contains(CANARY)) {
                        synchronized (REPORTS) {
                            REPORTS.add(message);
                        }
                    }
                }
            };
            Logger detector = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
            collector.setContext(detector.getLoggerContext());
            collector.start();
            detector.addAppender(collector);
            installed = true;
        }
    }

    /** Every report so far (after provoking the detector). */
    static List<String> leaks() {
        for (int round = 0; round < 4; round++) {
            System.gc();
            for (int i = 0; i < 200; i++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (REPORTS) {
            return new ArrayList<>(REPORTS);
        }
    }
}
