package org.hast.daemon;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** hastd's command line (spec §3.1): {@code hastd [-dFh] [-c config] [-P pidfile]}. */
@Command(name = "hastd")
final class HastdOptions {
    static final String DEFAULT_CONFIG = "/etc/hast.conf";

    @Option(names = "-c", paramLabel = "config")
    String configPath = DEFAULT_CONFIG;

    @Option(names = "-d")
    boolean[] debug = new boolean[0];

    @Option(names = "-F")
    boolean foreground;

    @Option(names = "-h")
    boolean help;

    @Option(names = "-P", paramLabel = "pidfile")
    String pidfile;

    /** Internal: this process is the daemon half started by {@link Daemonizer}. */
    @Option(names = Daemonizer.CHILD_FLAG, hidden = true)
    boolean daemonChild;

    int debugLevel() {
        return debug.length;
    }

    static String usage(String program) {
        return "usage: " + program + " [-dFh] [-c config] [-P pidfile]";
    }
}
