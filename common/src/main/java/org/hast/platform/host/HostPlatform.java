package org.hast.platform.host;

import java.util.Locale;

import org.hast.platform.Platform;
import org.hast.platform.freebsd.FreeBsdPlatform;
import org.hast.platform.linux.LinuxPlatform;

/**
 * Chooses the {@link Platform} of this JVM once, from {@code os.name}. Kept apart from the
 * interface so that the low-level packages the implementations use ({@code org.hast.sys}) can
 * take the platform's numbers without a package cycle.
 */
public final class HostPlatform {
    private static final Platform CURRENT = forOsName(System.getProperty("os.name", ""));

    private HostPlatform() {
    }

    /** The platform of this JVM. */
    public static Platform current() {
        return CURRENT;
    }

    /**
     * The platform for an {@code os.name} value.
     *
     * @throws UnsupportedOperationException for any other system
     */
    public static Platform forOsName(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            return LinuxPlatform.forArch(System.getProperty("os.arch", ""));
        }
        if (os.startsWith("freebsd")) {
            return new FreeBsdPlatform();
        }
        throw new UnsupportedOperationException("hastd does not run on " + osName);
    }
}
