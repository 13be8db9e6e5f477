package org.hast.util;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import org.hast.proto.FrameHeader;

/**
 * The release version (the Maven project version, written into {@code version.properties} by
 * the build) and the replication protocol version, for {@code --version}.
 */
public final class ProgramVersion {
    private ProgramVersion() {
    }

    /** The release version, or {@code "unknown"} when the resource is missing or unfiltered. */
    public static String release() {
        Properties properties = new Properties();
        try (InputStream in = ProgramVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        String version = properties.getProperty("version", "unknown");
        return version.startsWith("${") ? "unknown" : version;
    }

    /** The {@code --version} line, e.g. {@code hastctl 0.1.0 (HAST protocol version 2)}. */
    public static String line(String program) {
        return program + " " + release() + " (HAST protocol version " + FrameHeader.MAX_VERSION + ")";
    }
}
