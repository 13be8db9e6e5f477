package org.hast.it;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A test-only Java agent that delays the JVM it is given to by a fixed time before its main
 * class runs: a slow JVM start (a loaded machine, qemu) whose length does not depend on this
 * machine's load, which a flag such as {@code -Xint} does. Given to worker JVMs only, with
 * {@code HAST_WORKER_JVM_OPTIONS=-javaagent:<jar>=<millis>}.
 *
 * <p>No inner classes: {@link AgentJars} packs this one class file.
 */
public final class SlowStartAgent {
    private SlowStartAgent() {
    }

    public static void premain(String millis) throws InterruptedException {
        Thread.sleep(Long.parseLong(millis));
    }

    /** The worker JVM option that delays its start by {@code millis}; writes the jar into {@code dir}. */
    static String option(Path dir, long millis) throws IOException {
        return "-javaagent:" + AgentJars.write(dir, SlowStartAgent.class, "slow-start-agent.jar") + "=" + millis;
    }
}
