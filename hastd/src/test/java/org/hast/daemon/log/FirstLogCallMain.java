package org.hast.daemon.log;

import org.slf4j.LoggerFactory;

/**
 * Run in a fresh JVM by {@link StartupOutputTest}: logs before anything configured logging,
 * exactly as a class initialiser in the daemon might.
 */
public final class FirstLogCallMain {
    private FirstLogCallMain() {
    }

    public static void main(String[] args) {
        LoggerFactory.getLogger("org.hast.daemon.Early").info("hello");
        LoggerFactory.getLogger("org.hast.daemon.Early").debug("not shown at level 0");
        LoggerFactory.getLogger("org.hast.daemon.Early").warn("careful");
        if (args.length > 0) {
            HastLogging.configureSyslog(0);
            LoggerFactory.getLogger("org.hast.daemon.Early").info("to syslog");
        }
    }
}
