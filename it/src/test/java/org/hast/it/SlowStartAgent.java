package org.hast.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A test-only Java agent that delays the JVM it is given to by a fixed time before its main
 * class runs: a slow JVM start (a loaded machine, qemu) whose length does not depend on this
 * machine's load, which a flag such as {@code -Xint} does. Given to worker JVMs only, with
 * {@code HAST_WORKER_JVM_OPTIONS=-javaagent:<jar>=<millis>}.
 *
 * <p>No inner classes: {@link #jar} packs this one class file.
 */
public final class SlowStartAgent {
    private SlowStartAgent() {
    }

    public static void premain(String millis) throws InterruptedException {
        Thread.sleep(Long.parseLong(millis));
    }

    /** The worker JVM option that delays its start by {@code millis}; writes the jar into {@code dir}. */
    static String option(Path dir, long millis) throws IOException {
        return "-javaagent:" + jar(dir) + "=" + millis;
    }

    private static Path jar(Path dir) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), SlowStartAgent.class.getName());
        String entry = SlowStartAgent.class.getName().replace('.', '/') + ".class";
        Path jar = dir.resolve("slow-start-agent.jar");
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream classFile = SlowStartAgent.class.getClassLoader().getResourceAsStream(entry)) {
            if (classFile == null) {
                throw new IOException("class file " + entry + " not found");
            }
            out.putNextEntry(new JarEntry(entry));
            classFile.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
