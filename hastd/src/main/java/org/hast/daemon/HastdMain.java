package org.hast.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import org.hast.conf.ConfigException;
import org.hast.conf.ConfigParser;
import org.hast.conf.HastConfig;
import org.hast.conf.NodeIdentity;
import org.hast.daemon.log.HastLogging;
import org.hast.daemon.process.FatalThreads;
import org.hast.daemon.process.JvmDefaults;
import org.hast.util.IoErrors;
import org.hast.util.ProgramVersion;
import org.hast.util.SysExits;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;

/**
 * hastd's entry point: the command line and the configuration checks of spec §3.2 steps 1–4.
 * Everything that can be refused is refused here, with one line and the spec's exit code,
 * before the daemon opens any socket.
 */
public final class HastdMain {
    private static final String PROGRAM = "hastd";
    private static final int PATH_MAX = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(HastdMain.class);

    private HastdMain() {
    }

    public static void main(String[] args) {
        // A thread that dies must not leave a hastd that looks alive (docs/failure-policy.md).
        FatalThreads.installDefault();
        JvmDefaults.apply();
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        HastdOptions options = new HastdOptions();
        CommandLine parser = new CommandLine(options);
        parser.setExpandAtFiles(false);
        try {
            parser.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println(PROGRAM + ": " + e.getMessage());
            err.println(HastdOptions.usage(PROGRAM));
            return SysExits.EX_USAGE;
        }
        if (!options.help && parser.getParseResult().unmatched().isEmpty()) {
            if (options.fullHelp) {
                out.print(HastdOptions.help(PROGRAM));
                return SysExits.EX_OK;
            }
            if (options.version) {
                out.println(ProgramVersion.line(PROGRAM));
                return SysExits.EX_OK;
            }
        }
        if (options.help || !parser.getParseResult().unmatched().isEmpty()) {
            err.println(HastdOptions.usage(PROGRAM));
            return SysExits.EX_USAGE;
        }
        if (options.pidfile != null && options.pidfile.length() >= PATH_MAX) {
            err.println("[ERROR] Pidfile path is too long.");
            return SysExits.EX_CONFIG;
        }
        try {
            // Chosen once, from -Dhast.transport / HAST_TRANSPORT or the platform: refuse a bad one here.
            org.hast.transport.Transport.current();
        } catch (ExceptionInInitializerError e) {
            err.println("[ERROR] " + e.getCause().getMessage() + ".");
            return SysExits.EX_CONFIG;
        }
        // Absolute, so that a reload after daemonising (cwd = /) reads the same file (§1.8).
        Path configFile;
        try {
            configFile = Paths.get(options.configPath).toRealPath();
        } catch (IOException e) {
            err.println("[ERROR] Unable to obtain full path of " + options.configPath + ": "
                    + IoErrors.describe(e) + ".");
            return SysExits.EX_CONFIG;
        }
        HastConfig config;
        try {
            config = ConfigParser.load(configFile, NodeIdentity.fromSystem(env));
        } catch (ConfigException e) {
            err.println("[ERROR] " + e.getMessage());
            return e.exitCode();
        }
        if (!options.foreground && !options.daemonChild) {
            // The parent half: start the daemon and return once it is serving (or failed).
            return Daemonizer.startDaemon(args, err);
        }
        HastLogging.configureForeground(options.debugLevel());
        for (String warning : config.warnings()) {
            LOG.warn(warning);
        }
        Hastd hastd = new Hastd(configFile, config, NodeIdentity.fromSystem(env), options.debugLevel(),
                options.foreground, options.pidfile);
        try {
            hastd.start(options.daemonChild ? () -> Daemonizer.detach(options.debugLevel()) : () -> { });
        } catch (Hastd.StartupException e) {
            LOG.error(e.getMessage());
            hastd.abort();
            return e.exitCode;
        }
        return hastd.run();
    }
}
