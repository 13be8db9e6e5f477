package org.hast.ctl;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The long help of {@code hastctl help [command]} and {@code hastctl <command> --help}. The
 * short usage of {@code -h} stays FreeBSD's ({@link Usage}); this text is for people, on
 * stdout, and says what every option does. hastctl(8) says the same at more length.
 */
final class CommandHelp {
    private static final String COMMON = """
            Options every command takes:
              -c config   the configuration file (default /etc/hast.conf)
              -d          print debugging information; repeat for more
              -h          print the short usage (FreeBSD's) and exit 64
              --help      print this help and exit 0
            Options may also follow the operands; "--" ends the options.
            The node's own sections of the configuration are found by hostname, short
            hostname, host UUID or hostid<N>, or by $HAST_NODE when it is set.
            """;

    private static final Map<String, String> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("create", """
                usage: hastctl create [-d] [-c config] [-e extentsize] [-k keepdirty]
                               [-m mediasize] name ...

                Writes HAST's metadata and an all-clean bitmap at the start of each named
                resource's local component. Run it once per node, before the resource's first
                use, while hastd does not use the resource. It works locally and does not talk
                to hastd. Any data HAST kept there before is forgotten.

                  -e extentsize  size of the region one bitmap bit covers (default 2M); a
                                 smaller extent means less to synchronise after a crash
                                 but a larger bitmap
                  -k keepdirty   how many extents stay marked dirty after their writes
                                 finish (default 64); fewer bitmap updates for hot spots
                  -m mediasize   the size offered to the user (default: the whole local
                                 component minus the metadata and bitmap)
                Sizes take a suffix k, m, g, t, p or e (powers of 1024).
                """);
        COMMANDS.put("role", """
                usage: hastctl role [-d] [-c config] <init | primary | secondary> all | name ...

                Asks hastd to change the role of the named resources ("all": every configured
                resource). Prints nothing on success.
                  init       no worker; the local component is not used (the state after
                             hastd starts)
                  primary    serves /dev/hast/<name> (and the export, if configured) and
                             replicates every write to the other node
                  secondary  receives the primary's writes
                Only one node may be primary; a node refuses to become primary while the
                other one is (split-brain protection).
                """);
        COMMANDS.put("list", """
                usage: hastctl list [-d] [-c config] [--json] [all | name ...]

                Prints everything hastd knows about the named resources (default all): role,
                provider name, local path, extent size, keepdirty, remote and source address,
                replication mode, status, worker PID, dirty bytes, I/O statistics and queue
                lengths.
                  --json  one JSON document instead (schema hast-status/1, docs/json-status.md),
                          which adds the connection, sync progress, worker and last error
                """);
        COMMANDS.put("status", """
                usage: hastctl status [-d] [-c config] [--json] [all | name ...]

                Prints one line per resource (default all): name, status (complete, degraded
                or -), role and components (local path and remote address).
                  --json  the JSON document of "list --json" instead
                """);
        COMMANDS.put("events", """
                usage: hastctl events [-d] [-c config] [--json] [all | name ...]

                Follows the named resources (default all): first one "exists" line per
                resource with its current role, connection and sync state, then one line per
                change as it happens (role, connect, disconnect, sync-start, sync-progress,
                sync-done, sync-interrupted, split-brain, io-error, worker-exit,
                worker-restart, reload), until interrupted. A follower that does not read
                fast enough is dropped by hastd (a last "dropped" line, exit 75).
                  --json  one JSON object per line (docs/events.md)
                """);
        COMMANDS.put("dump", """
                usage: hastctl dump [-d] [-c config] [all | name ...]

                Prints the metadata stored on the local component of the named resources
                (default all): data size, extent size, keepdirty, local offset, resource UID,
                local and remote counters, previous role. Works locally without hastd.
                """);
        COMMANDS.put("stop", """
                usage: hastctl stop [-d] [-c config]

                Asks the running hastd to exit, as SIGTERM does (an extension: a FreeBSD hastd
                answers with an error). Resources are not put to init first; use
                "hastctl role init all" before it for a clean stop.
                """);
        COMMANDS.put("verify", """
                usage: hastctl verify [-d] [-c config] [-r | -s] all | name ...

                Starts online verify on the primary (an extension): both nodes hash their
                copy block by block and the blocks that differ are logged and shown in the
                status. -r also resynchronises them from the primary; -s stops a verify in
                progress. Needs "integrity on" (or "syncmode checksum") on both nodes; a peer
                without it (a FreeBSD hastd) refuses with exit status 69.
                """);
    }

    private static final String OVERVIEW = """
            hastctl: control the HAST daemon (hastd) and its resources.

            Commands:
              create   write metadata on a resource's local component (once per node)
              role     set resources to init, primary or secondary
              list     show everything about resources
              status   show one line per resource
              events   follow state changes as they happen
              dump     show the metadata stored on the local component
              stop     ask hastd to exit
              verify   compare (and repair) both nodes' copies online
              help     show this text, or a command's help: hastctl help <command>

            Run "hastctl help <command>" or "hastctl <command> --help" for a command.
            "hastctl --version" prints the version and the protocol version.

            """;

    private static final String EXIT_STATUS = """

            Exit status: 0 on success, else a sysexits(3) code: 64 usage, 65 unknown
            resource, 66 cannot open the local component, 69 the connection to hastd broke,
            70 hastd reported an error, 71 hastd cannot be reached, 72 configuration
            unreadable, 74 I/O error, 78 configuration error; role, list and status exit
            with the first error hastd reported for a resource. See hastctl(8).
            """;

    private CommandHelp() {
    }

    /** The commands that have a help text, in the order hastctl(8) lists them. */
    static Iterable<String> commands() {
        return COMMANDS.keySet();
    }

    static boolean has(String command) {
        return COMMANDS.containsKey(command);
    }

    static void printOverview(PrintStream out) {
        out.print(OVERVIEW + COMMON + EXIT_STATUS);
    }

    static void printCommand(PrintStream out, String command) {
        out.print(COMMANDS.get(command) + "\n" + COMMON + EXIT_STATUS);
    }
}
