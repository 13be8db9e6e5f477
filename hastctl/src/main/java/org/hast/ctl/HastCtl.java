package org.hast.ctl;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

import org.hast.util.SysExits;

import picocli.CommandLine;

/**
 * hastctl: the HAST control utility (spec §2). The sub-command is the first argument and its
 * options follow it, parsed like getopt(3): option parsing stops at the first name, so
 * {@code hastctl role primary -d x} names a resource called {@code -d}, as on FreeBSD.
 *
 * <p>Start-up time matters (failover scripts call hastctl), so only the chosen sub-command's
 * picocli model is built and nothing else is loaded before it runs.
 */
public final class HastCtl {
    private static final String PROGRAM = "hastctl";
    private static final Map<String, Supplier<CtlCommand>> COMMANDS = Map.of(
            "create", CreateCommand::new,
            "role", RoleCommand::new,
            "list", ListCommand::new,
            "status", StatusCommand::new,
            "dump", DumpCommand::new,
            "stop", StopCommand::new);

    private HastCtl() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err, System.getenv());
        System.out.flush();
        System.exit(code);
    }

    /** Runs one invocation; returns the exit code (spec §2.7). */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        CtlContext context = CtlContext.of(PROGRAM, out, err, env);
        Supplier<CtlCommand> factory = args.length == 0 ? null : COMMANDS.get(args[0]);
        if (factory == null) {
            Usage.print(err, PROGRAM);
            return SysExits.EX_USAGE;
        }
        CtlCommand command = factory.get();
        CommandLine parser = new CommandLine(command);
        parser.setStopAtPositional(true);
        parser.setExpandAtFiles(false);
        try {
            parser.parseArgs(Arrays.copyOfRange(args, 1, args.length));
        } catch (CommandLine.ParameterException e) {
            err.println(PROGRAM + ": " + e.getMessage());
            Usage.print(err, PROGRAM);
            return SysExits.EX_USAGE;
        }
        if (command.common.help || !command.argumentsValid()) {
            Usage.print(err, PROGRAM);
            return SysExits.EX_USAGE;
        }
        context.log().setDebugLevel(command.common.debugLevel());
        try {
            return command.run(context);
        } catch (CtlException e) {
            if (e.getMessage() != null) {
                context.log().setResource(null);
                context.log().error(e.getMessage());
            }
            return e.exitCode();
        } catch (RuntimeException e) {
            // A bug, not an input problem: one line, the spec's code for internal errors.
            context.log().error("internal error: " + e);
            return SysExits.EX_SOFTWARE;
        }
    }
}
