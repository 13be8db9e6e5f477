package org.hast.daemon;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * hastd's command line (spec §3.1): {@code hastd [-dFh] [-c config] [-P pidfile]}, plus our
 * {@code --help} (the long help) and {@code --version}.
 */
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

    @Option(names = "--help")
    boolean fullHelp;

    @Option(names = "--version")
    boolean version;

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

    /** {@code hastd --help}: what every option does; hastd(8) says it at more length. */
    static String help(String program) {
        return usage(program) + "\n" + """

                hastd, the HAST daemon: replicates block devices between two nodes as
                configured in hast.conf(5). Every resource starts in role init; hastctl(8)
                sets roles. The main process supervises one worker process per resource
                that is primary or secondary.

                  -c config   the configuration file (default /etc/hast.conf)
                  -d          print debugging information; repeat for more (-ddd adds the
                              libraries' own debug messages)
                  -F          stay in the foreground: log to stdout/stderr, write no pidfile
                              unless -P is given (what a service manager wants with
                              Type=simple)
                  -h          print the short usage (FreeBSD's) and exit 64
                  -P pidfile  the pidfile, instead of the configuration's (default
                              /var/run/hastd.pid); it then stays the same across reloads
                  --help      print this help and exit 0
                  --version   print the version and the replication protocol version

                Signals: SIGHUP reloads the configuration; SIGINT and SIGTERM stop the
                daemon (run "hastctl role init all" first for a clean stop).
                Logging: daemonised, to syslog (facility daemon, ident hastd;
                journalctl -t hastd); with -F, to stdout and stderr.
                Environment: HAST_NODE=<name> replaces the node's identity (hostname,
                host UUID, hostid) when matching "on <node>" sections.
                Exit status: 0, or a sysexits(3) code (64 usage, 71 system error,
                72 configuration unreadable, 75 another hastd runs, 78 configuration error).
                """;
    }
}
