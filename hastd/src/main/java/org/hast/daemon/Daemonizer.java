package org.hast.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.hast.daemon.log.HastLogging;
import org.hast.sys.LibC;
import org.hast.util.SysExits;

/**
 * daemon(3) for a JVM, which cannot fork (spec §3.2 step 7): the command-line process starts a
 * copy of itself with {@link #CHILD_FLAG}, relays its start-up output, and exits only when the
 * copy reports that it holds the pidfile and serves the control socket — so
 * {@code hastd && hastctl status} never races. The copy then leaves the session, closes its
 * standard streams and logs to syslog.
 */
final class Daemonizer {
    static final String CHILD_FLAG = "--daemon-child";
    static final String READY = "hastd-ready";

    private Daemonizer() {
    }

    static int startDaemon(String[] args, PrintStream err) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ProcessHandle.current().info().arguments().map(a -> jvmOptions(a)).orElse(List.of()));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(HastdMain.class.getName());
        command.add(CHILD_FLAG);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()));
        builder.redirectErrorStream(true);
        Process child;
        try {
            child = builder.start();
        } catch (IOException e) {
            err.println("[ERROR] Unable to daemonize: " + e.getMessage() + ".");
            return SysExits.EX_OSERR;
        }
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = output.readLine()) != null) {
                if (line.equals(READY)) {
                    return SysExits.EX_OK;
                }
                err.println(line);
            }
            return child.waitFor();
        } catch (IOException e) {
            err.println("[ERROR] Lost the daemon's start-up output: " + e.getMessage() + ".");
            return SysExits.EX_OSERR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SysExits.EX_OSERR;
        }
    }

    /** The JVM options of this process (everything before the main class), for the copy. */
    private static List<String> jvmOptions(String[] arguments) {
        List<String> options = new ArrayList<>();
        for (int i = 0; i < arguments.length; i++) {
            String arg = arguments[i];
            if (arg.equals("-cp") || arg.equals("-classpath") || arg.equals("--class-path")) {
                i++;
                continue;
            }
            if (!arg.startsWith("-")) {
                break;
            }
            options.add(arg);
        }
        return options;
    }

    /** In the copy, once serving: new session, streams closed, syslog from now on. */
    static void detach(int debugLevel) {
        LibC.get().setsid();
        handOver(System.out, () -> HastLogging.configureSyslog(debugLevel));
        System.out.close();
        System.err.close();
    }

    /**
     * Switches logging to syslog, then tells the parent we are ready. In this order, whatever
     * the switch warns about on stderr (no /dev/log: messages will be lost) is still relayed
     * to the operator's terminal: the parent stops reading at the ready line.
     */
    static void handOver(PrintStream toParent, Runnable switchToSyslog) {
        switchToSyslog.run();
        System.err.flush();
        toParent.println(READY);
        toParent.flush();
    }
}
