package org.hast.ctl;

import java.nio.file.Path;
import java.nio.file.Paths;

import org.hast.conf.ConfigException;
import org.hast.conf.ConfigParser;
import org.hast.conf.HastConfig;
import org.hast.conf.NodeIdentity;

import picocli.CommandLine.Option;

/** The options every sub-command takes: {@code -c config}, {@code -d} (repeatable), {@code -h}, {@code --help}. */
final class CommonOptions {
    static final String DEFAULT_CONFIG = "/etc/hast.conf";

    @Option(names = "-c", paramLabel = "config", description = "Configuration file (default /etc/hast.conf).")
    String configPath = DEFAULT_CONFIG;

    @Option(names = "-d", description = "Print debugging information; repeat for more.")
    boolean[] debug = new boolean[0];

    @Option(names = "-h", description = "Print usage and exit.")
    boolean help;

    @Option(names = "--help", description = "Print the command's full help and exit.")
    boolean fullHelp;

    int debugLevel() {
        return debug.length;
    }

    /**
     * Parses the configuration as every hastctl command does before anything else (spec §2.1):
     * errors are fatal with the code of spec §1.8.
     */
    HastConfig loadConfig(CtlContext context) throws CtlException {
        Path file = Paths.get(configPath);
        try {
            HastConfig config = ConfigParser.load(file, NodeIdentity.fromSystem(context.env()));
            for (String warning : config.warnings()) {
                context.log().warning(warning);
            }
            return config;
        } catch (ConfigException e) {
            throw new CtlException(e.exitCode(), e.getMessage());
        }
    }
}
