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
 * Jars for the test-only Java agents given to worker JVMs ({@code -javaagent:<jar>}): the
 * agent's one class file and a manifest naming it as {@code Premain-Class}. An agent class
 * therefore has no inner classes.
 */
public final class AgentJars {
    private AgentJars() {
    }

    /** Writes {@code fileName} into {@code dir} with {@code agent}'s class; returns its path. */
    public static Path write(Path dir, Class<?> agent, String fileName) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), agent.getName());
        String entry = agent.getName().replace('.', '/') + ".class";
        Path jar = dir.resolve(fileName);
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream classFile = agent.getClassLoader().getResourceAsStream(entry)) {
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
