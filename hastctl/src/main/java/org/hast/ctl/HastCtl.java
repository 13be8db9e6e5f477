package org.hast.ctl;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

import org.hast.util.ProgramVersion;
import org.hast.util.SysExits;

import picocli.CommandLine;

/**
 * hastctl: the HAST control utility (spec §2). The sub-command is the first argument and its
 * options follow it, as with FreeBSD's getopt(3); options may also come after the operands
 * ({@code hastctl role primary -c FILE r0} reads FILE), and {@code --} ends them for the rare
 * resource whose name starts with {@code -}. {@code -h} prints FreeBSD's usage; {@code help},
 * {@code --help} and {@code --version} are ours.
 *
 * <p>Start-up time matters (failover scripts call hastctl), so only the chosen sub-command's
 * picocli model is built and nothing else is loaded before it runs.
 */
public final class HastCtl {
    private static final String PROGRAM = "hastctl";
    static final Map<String, Supplier<CtlCommand>> COMMANDS = Map.of(
            "create", CreateCommand::new,
            "role", RoleCommand::new,
            "list", ListCommand::new,
            "status", StatusCommand::new,
            "events", EventsCommand::new,
            "dump", DumpCommand::new,
            "stop", StopCommand::new,
            "verify", VerifyCommand::new);

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
        if (args.length == 1 && args[0].equals("--version")) {
            out.println(ProgramVersion.line(PROGRAM));
            return SysExits.EX_OK;
        }
        if (args.length > 0 && (args[0].equals("help") || args[0].equals("--help"))) {
            return help(args, out, err);
        }
        Supplier<CtlCommand> factory = args.length == 0 ? null : COMMANDS.get(args[0]);
        if (factory == null) {
            Usage.print(err, PROGRAM);
            return SysExits.EX_USAGE;
        }
        CtlCommand command = factory.get();
        CommandLine parser = new CommandLine(command);
        parser.setStopAtPositional(false);
        parser.setExpandAtFiles(false);
        try {
            parser.parseArgs(Arrays.copyOfRange(args, 1, args.length));
        } catch (CommandLine.ParameterException e) {
            err.println(PROGRAM + ": " + e.getMessage());
            Usage.print(err, PROGRAM);
            return SysExits.EX_USAGE;
        }
        if (command.common.fullHelp && !command.common.help) {
            CommandHelp.printCommand(out, args[0]);
            return SysExits.EX_OK;
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

    /** {@code hastctl help [command]} (or {@code --help}): the long help on stdout, exit 0. */
    private static int help(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1) {
            CommandHelp.printOverview(out);
            return SysExits.EX_OK;
        }
        if (args.length == 2 && CommandHelp.has(args[1])) {
            CommandHelp.printCommand(out, args[1]);
            return SysExits.EX_OK;
        }
        Usage.print(err, PROGRAM);
        return SysExits.EX_USAGE;
    }
}
