package org.hast.it.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.hast.testing.NetnsPair;
import org.hast.testing.Requirements;
import org.hast.testing.TestFiles;
import org.junit.jupiter.api.Test;

/**
 * The real ucarp calls hast-failover through the {@code ucarp-up}/{@code ucarp-down} names the
 * package installs, with its own arguments (interface, address, {@code --xparam}): the script must
 * take its direction from its name and its resources from the extra parameter. hastctl is a stub
 * that records its calls and keeps the role in a file, so this checks the calling convention
 * only; KeepalivedFailoverIT runs the script against real hastd nodes.
 */
class UcarpScriptsIT {
    private static final long WAIT_MILLIS = 30_000;

    @Test
    void ucarpPromotesOnMasterAndDemotesOnBackupAndExit() throws Exception {
        Requirements.requireRoot();
        Requirements.requireTool("ucarp", "ucarp");
        Requirements.requireTool("nsenter", "util-linux");
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-nodes")), "ucarp-")
                .toAbsolutePath();
        Process ucarp = null;
        try (NetnsPair netns = NetnsPair.create()) {
            Path role = dir.resolve("role");
            Path calls = dir.resolve("hastctl.calls");
            Files.writeString(role, "init\n");
            Path stub = dir.resolve("hastctl");
            Files.writeString(stub, String.join("\n",
                    "#!/bin/sh",
                    "echo \"$*\" >>'" + calls + "'",
                    "case $1 in",
                    "list) printf '%s:\\n  role: %s\\n  status: complete\\n' \"$4\" \"$(cat '" + role + "')\" ;;",
                    "role) echo \"$4\" >'" + role + "' ;;",
                    "esac", ""));
            Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path script = Requirements.projectRoot().resolve("packaging/hast-failover");
            Files.createSymbolicLink(dir.resolve("ucarp-up"), script);
            Files.createSymbolicLink(dir.resolve("ucarp-down"), script);
            Path conf = dir.resolve("failover.conf");
            Files.writeString(conf, "other\n"); // --xparam, not the file, names the resource here
            Path log = dir.resolve("failover.log");

            String vip = netns.address(0).replaceAll("\\.1$", ".100");
            ProcessBuilder builder = new ProcessBuilder("nsenter", "--net=/run/netns/" + netns.namespace(0),
                    "ucarp", "-i", netns.veth(0), "-s", netns.address(0), "-v", "7", "-p", "secret", "-a", vip,
                    "-b", "1", "-z", "-u", dir.resolve("ucarp-up").toString(),
                    "-d", dir.resolve("ucarp-down").toString(), "-x", "r0");
            builder.environment().putAll(java.util.Map.of("HASTCTL", stub.toString(),
                    "HAST_CONF", dir.resolve("hast.conf").toString(), "HAST_NODE", "nodeA",
                    "HAST_FAILOVER_CONF", conf.toString(), "HAST_FAILOVER_LOG", log.toString(),
                    "HAST_FAILOVER_LOCK", dir.resolve("lock").toString()));
            builder.redirectErrorStream(true).redirectOutput(dir.resolve("ucarp.log").toFile());
            ucarp = builder.start();

            // Alone on its link, ucarp becomes master after three silent advertisement periods.
            awaitRole(role, "primary", dir);
            ucarp.destroy(); // SIGTERM; -z runs the down script on the way out
            assertTrue(ucarp.waitFor(30, TimeUnit.SECONDS));
            awaitRole(role, "secondary", dir);
            String made = Files.readString(calls);
            List<String> roles = made.lines().filter(l -> l.startsWith("role ")).toList();
            String config = " -c " + dir.resolve("hast.conf") + " ";
            assertEquals("role" + config + "primary r0", roles.get(roles.size() - 2), made);
            assertEquals("role" + config + "secondary r0", roles.get(roles.size() - 1), made);
            assertTrue(Files.readString(log).contains("nodeA: up: promote r0"), Files.readString(log));
        } finally {
            if (ucarp != null) {
                ucarp.destroyForcibly();
                ucarp.waitFor(10, TimeUnit.SECONDS);
            }
            TestFiles.deleteTree(dir);
        }
    }

    private static void awaitRole(Path role, String expected, Path dir) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (!Files.readString(role).strip().equals(expected)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("role never became " + expected + "\n" + read(dir.resolve("ucarp.log"))
                        + "\n" + read(dir.resolve("failover.log")) + "\n" + read(dir.resolve("hastctl.calls")));
            }
            Thread.sleep(50);
        }
    }

    private static String read(Path file) throws Exception {
        return Files.exists(file) ? Files.readString(file) : "<no " + file.getFileName() + ">";
    }
}
