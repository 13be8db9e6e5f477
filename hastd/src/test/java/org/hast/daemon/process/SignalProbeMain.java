package org.hast.daemon.process;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * For {@link SignalsTest}, started with SIGHUP, SIGINT and SIGCHLD ignored: installs handlers
 * through {@link Signals}, signals itself, and prints what it saw, then a child's exit status
 * (which the JDK only sees because it resets SIGCHLD to SIG_DFL by itself).
 */
public final class SignalProbeMain {
    private SignalProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        for (String name : new String[] {"HUP", "INT"}) {
            CountDownLatch handled = new CountDownLatch(1);
            Signals.handle(name, handled::countDown);
            kill(name);
            System.out.println(name + (handled.await(10, TimeUnit.SECONDS) ? " handled" : " lost"));
        }
        Process child = new ProcessBuilder("sh", "-c", "exit 3").start();
        System.out.println("child exit " + child.waitFor());
        System.exit(0);
    }

    private static void kill(String signal) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(ProcessHandle.current().pid()))
                .inheritIO().start().waitFor();
    }
}
