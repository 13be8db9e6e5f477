package org.hast.daemon.process;

import org.hast.daemon.log.HastLogging;

/**
 * A JVM in which one thread dies, for {@link FatalThreadsTest}: {@code thread} kills a thread
 * from {@link FatalThreads#start}, {@code main} the main thread while a non-daemon thread would
 * keep the JVM alive. Without the policy it exits 0 after a few seconds instead of 70.
 */
public final class DyingThreadMain {
    private DyingThreadMain() {
    }

    public static void main(String[] args) throws Exception {
        FatalThreads.installDefault();
        HastLogging.configureForeground(0);
        HastLogging.setPrefix("[r0] (primary) ");
        Thread bystander = new Thread(DyingThreadMain::lingerThenExit, "bystander");
        bystander.start();
        if (args[0].equals("main")) {
            throw new IllegalStateException("injected failure");
        }
        Thread dying = FatalThreads.start("dying", () -> {
            throw new IllegalStateException("injected failure");
        });
        dying.join();
    }

    private static void lingerThenExit() {
        try {
            Thread.sleep(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }
}
