package org.hast.it.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.hast.it.AgentJars;

/**
 * A test-only Java agent that makes a named thread die, so that the thread-death policy can be
 * tested on the real daemon without a failure path users could reach. Given to hastd through
 * {@code JAVA_TOOL_OPTIONS=-javaagent:<jar>=<dir>}, which its worker JVMs inherit. Each JVM
 * watches {@code <dir>/<its pid>}: when that file appears it holds a thread name, and the agent
 * stops that thread ({@link Thread#stop()}: a {@link ThreadDeath}, an Error, thrown in the
 * target wherever it is, as an unexpected Error would be). A thread blocked in a system call
 * gets it when the call returns. Needs a JDK that still implements Thread.stop (up to 19).
 *
 * <p>No inner classes: {@link #jar} packs this one class file.
 */
public final class ThreadKillerAgent implements Runnable {
    private static final long POLL_MILLIS = 50;

    private final Path request;

    private ThreadKillerAgent(Path request) {
        this.request = request;
    }

    public static void premain(String requestDir) {
        Path request = Path.of(requestDir, Long.toString(ProcessHandle.current().pid()));
        Thread watcher = new Thread(new ThreadKillerAgent(request), "test-thread-killer");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Asks JVM {@code pid} (started with the agent on {@code requestDir}) to kill {@code thread}. */
    static void requestDeath(Path requestDir, long pid, String thread) throws IOException {
        Path pending = requestDir.resolve(pid + ".tmp");
        Files.writeString(pending, thread);
        Files.move(pending, requestDir.resolve(Long.toString(pid)));
    }

    @Override
    public void run() {
        while (true) {
            try {
                Thread.sleep(POLL_MILLIS);
                if (Files.exists(request)) {
                    String name = Files.readString(request).trim();
                    Files.delete(request);
                    stop(name);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                System.err.println("test agent: " + e);
            }
        }
    }

    @SuppressWarnings({"deprecation", "removal"})
    private static void stop(String name) {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(name)) {
                thread.stop();
                return;
            }
        }
        System.err.println("test agent: no thread named " + name);
    }

    /** Writes the agent jar (this class and a manifest naming it) into {@code dir}. */
    static Path jar(Path dir) throws IOException {
        return AgentJars.write(dir, ThreadKillerAgent.class, "thread-killer-agent.jar");
    }
}
