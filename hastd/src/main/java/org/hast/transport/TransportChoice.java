package org.hast.transport;

import java.util.Locale;

import org.hast.platform.Platform;
import org.hast.platform.host.HostPlatform;

/**
 * Which {@link Transport} a process uses: {@code -Dhast.transport=epoll|nio}, else the
 * environment's {@code HAST_TRANSPORT}, else the platform's own (epoll on Linux, NIO elsewhere).
 * The daemon passes its choice on to its workers ({@link #PROPERTY}), so that both ends of a
 * hand-over agree.
 */
public final class TransportChoice {
    public static final String PROPERTY = "hast.transport";
    public static final String ENVIRONMENT = "HAST_TRANSPORT";

    static final Transport CURRENT = of(choose(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT),
            HostPlatform.current()));

    private TransportChoice() {
    }

    /**
     * The transport name for an explicit setting (property first, then environment; null or
     * blank when absent) or, lacking one, for {@code platform}.
     *
     * @throws IllegalArgumentException for a name other than {@code epoll} or {@code nio}, or
     *     {@code epoll} on a system other than Linux
     */
    public static String choose(String property, String environment, Platform platform) {
        String setting = property != null && !property.isBlank() ? property
                : environment != null && !environment.isBlank() ? environment : null;
        if (setting == null) {
            return platform.name().equals("linux") ? EpollTransport.NAME : NioTransport.NAME;
        }
        String name = setting.trim().toLowerCase(Locale.ROOT);
        if (name.equals(NioTransport.NAME)) {
            return name;
        }
        if (name.equals(EpollTransport.NAME)) {
            if (!platform.name().equals("linux")) {
                throw new IllegalArgumentException("hast.transport=epoll: the epoll transport exists on Linux only, not "
                        + platform.name());
            }
            return name;
        }
        throw new IllegalArgumentException("hast.transport=" + setting + ": expected epoll or nio");
    }

    /** The transport called {@code name} (as {@link #choose} returns it). */
    public static Transport of(String name) {
        return name.equals(EpollTransport.NAME) ? new EpollTransport() : new NioTransport();
    }
}
