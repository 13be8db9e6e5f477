package org.hast.daemon.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hook invocation and reaping (spec §9.2, §9.3) with real /bin/sh scripts. */
class HookRunnerTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final Pattern PID = Pattern.compile("pid=(\\d+)");

    @TempDir
    Path dir;

    private CapturedLog log;

    @BeforeEach
    void capture() {
        log = new CapturedLog(HookRunner.class);
    }

    @AfterEach
    void release() {
        log.close();
    }

    private Path script(String name, String body) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** A hook that runs until {@code stop} exists, so tests end it without killing it. */
    private Path waitingScript(Path stop) throws IOException {
        return script("wait.sh", "while [ ! -e '" + stop + "' ]; do sleep 0.05; done");
    }

    private static long pidOf(String line) {
        Matcher matcher = PID.matcher(line);
        assertTrue(matcher.find(), line);
        return Long.parseLong(matcher.group(1));
    }

    private static void awaitEmpty(HookRunner runner) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (runner.runningCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, runner.runningCount(), "hooks left: " + runner.runningPids());
    }

    @Test
    void everyEventPassesItsArgumentsInOrder() throws Exception {
        Path calls = dir.resolve("calls");
        Path hook = script("hook.sh", "printf '%s|%s|%s\\n' \"$0\" \"$#\" \"$*\" >> '" + calls + "'");
        HookRunner runner = new HookRunner(true);
        for (HookEvent event : HookEvent.values()) {
            if (event != HookEvent.ROLE) {
                runner.runEvent(hook.toString(), event, "shared");
            }
        }
        runner.runRole(hook.toString(), "shared", "init", "primary");
        runner.runEvent(hook.toString(), "connect", "other");
        log.awaitCount(line -> line.startsWith("DEBUG Hook exited gracefully"), 8, LIMIT);
        awaitEmpty(runner);

        // Hooks run concurrently: the order of the lines is not guaranteed, their content is.
        List<String> got = new ArrayList<>(Files.readAllLines(calls));
        List<String> expected = new ArrayList<>();
        for (String args : List.of("connect shared", "disconnect shared", "syncstart shared", "syncdone shared",
                "syncintr shared", "split-brain shared", "connect other")) {
            expected.add(hook + "|2|" + args);
        }
        expected.add(hook + "|4|role shared init primary");
        got.sort(null);
        expected.sort(null);
        assertEquals(expected, got);
        assertTrue(log.lines().contains("DEBUG Executing hook: " + hook + " role shared init primary"), log.lines()::toString);
    }

    @Test
    void noExecPathRunsNothing() {
        HookRunner runner = new HookRunner(true);
        runner.runEvent("", "connect", "shared");
        runner.runEvent(null, "connect", "shared");
        runner.runRole("", "shared", "init", "primary");
        assertEquals(0, runner.runningCount());
        assertEquals(List.of(), log.lines());
    }

    @Test
    void roleEventNeedsRunRole() {
        HookRunner runner = new HookRunner(true);
        assertThrows(IllegalArgumentException.class, () -> runner.runEvent("/bin/true", HookEvent.ROLE, "r"));
    }

    /** A path such that {@code path + " connect r"} is exactly {@code commandBytes} long. */
    private Path scriptWithCommandLength(int commandBytes, Path calls) throws IOException {
        String tail = " connect r";
        int pathLength = commandBytes - tail.length();
        Path parent = dir;
        // Components of at most 200 characters (NAME_MAX is 255) until one more would fit.
        while (pathLength - parent.toString().length() - 1 > 200 + 10) {
            parent = Files.createDirectories(parent.resolve("d".repeat(200)));
        }
        int nameLength = pathLength - parent.toString().length() - 1;
        Path file = parent.resolve("h".repeat(nameLength - 3) + ".sh");
        Files.writeString(file, "#!/bin/sh\necho \"$*\" >> '" + calls + "'\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(commandBytes, (file + tail).length());
        return file;
    }

    @Test
    void commandLineOf1023BytesIsRefusedAnd1022Runs() throws Exception {
        Path calls = dir.resolve("calls");
        HookRunner runner = new HookRunner(true);

        Path tooLong = scriptWithCommandLength(1023, calls);
        runner.runEvent(tooLong.toString(), "connect", "r");
        assertEquals(List.of("ERROR Exec path too long, correct configuration file."), log.lines());
        assertEquals(0, runner.runningCount());

        Path longest = scriptWithCommandLength(1022, calls);
        runner.runEvent(longest.toString(), "connect", "r");
        log.await(line -> line.startsWith("DEBUG Hook exited gracefully"), LIMIT);
        assertEquals(List.of("connect r"), Files.readAllLines(calls), "only the 1022-byte command ran");
    }

    @Test
    void programThatCannotStartIsAnErrorNotAnException() throws Exception {
        HookRunner runner = new HookRunner(false);
        runner.runEvent("/nonexistent/hook", "connect", "shared");
        Path notExecutable = Files.writeString(dir.resolve("plain"), "#!/bin/sh\n");
        runner.runRole(notExecutable.toString(), "shared", "init", "primary");
        // No slash: looked for in the current directory like execv, not on PATH.
        runner.runEvent("sh", "connect", "shared");
        List<String> errors = log.lines().stream().filter(line -> line.startsWith("ERROR")).toList();
        List<String> expected = new ArrayList<>(List.of(
                "ERROR Unable to execute /nonexistent/hook: No such file or directory.",
                "ERROR Unable to execute " + notExecutable + ": Permission denied.",
                "ERROR Unable to execute sh: No such file or directory."));
        // Even root is refused: execve wants at least one x bit, and "plain" has none.
        assertEquals(expected, errors);
        assertEquals(0, runner.runningCount());
    }

    @Test
    void exitStatusesAreReportedLikeTheReference() throws Exception {
        HookRunner runner = new HookRunner(false);
        Path ok = script("ok.sh", "exit 0");
        Path fails = script("fails.sh", "exit 3");
        Path killed = script("killed.sh", "kill -KILL $$");
        Path terminated = script("terminated.sh", "kill -TERM $$");

        runner.runEvent(ok.toString(), "syncdone", "r");
        String graceful = log.await(line -> line.contains("gracefully"), LIMIT);
        assertEquals("DEBUG Hook exited gracefully (pid=" + pidOf(graceful) + ", cmd=[" + ok + " syncdone r]).",
                graceful);

        runner.runEvent(fails.toString(), "syncintr", "r");
        String ungraceful = log.await(line -> line.contains("ungracefully"), LIMIT);
        assertEquals("ERROR Hook exited ungracefully (pid=" + pidOf(ungraceful) + ", exitcode=3, cmd=[" + fails
                + " syncintr r]).", ungraceful);

        runner.runRole(killed.toString(), "r", "primary", "secondary");
        String nine = log.await(line -> line.contains("signal=9"), LIMIT);
        assertEquals("ERROR Hook was killed (pid=" + pidOf(nine) + ", signal=9, cmd=[" + killed
                + " role r primary secondary]).", nine);

        runner.runEvent(terminated.toString(), "split-brain", "r");
        String fifteen = log.await(line -> line.contains("signal=15"), LIMIT);
        assertEquals("ERROR Hook was killed (pid=" + pidOf(fifteen) + ", signal=15, cmd=[" + terminated
                + " split-brain r]).", fifteen);
        awaitEmpty(runner);
    }

    @Test
    void exitValueHeuristic() {
        assertEquals("Hook exited gracefully (pid=7, cmd=[/h c r]).", HookRunner.describeExit(0, 7, "/h c r"));
        assertEquals("Hook exited ungracefully (pid=7, exitcode=1, cmd=[/h c r]).", HookRunner.describeExit(1, 7, "/h c r"));
        assertEquals("Hook exited ungracefully (pid=7, exitcode=128, cmd=[/h c r]).",
                HookRunner.describeExit(128, 7, "/h c r"));
        assertEquals("Hook was killed (pid=7, signal=1, cmd=[/h c r]).", HookRunner.describeExit(129, 7, "/h c r"));
        assertEquals("Hook was killed (pid=7, signal=64, cmd=[/h c r]).", HookRunner.describeExit(192, 7, "/h c r"));
        assertEquals("Hook exited ungracefully (pid=7, exitcode=200, cmd=[/h c r]).",
                HookRunner.describeExit(200, 7, "/h c r"));
    }

    @Test
    void startFailureKeepsTheStrerrorText() {
        assertEquals("No such file or directory", HookRunner.startFailure(
                new IOException("Cannot run program \"/x\": error=2, No such file or directory")));
        assertEquals("something else", HookRunner.startFailure(new IOException("something else")));
    }

    @Test
    void longRunningHookIsReportedEverySixtySeconds() throws Exception {
        Path stop = dir.resolve("stop");
        Path hook = waitingScript(stop);
        AtomicLong clock = new AtomicLong(1_000_000);
        HookRunner runner = new HookRunner(true, clock::get);
        runner.runEvent(hook.toString(), "syncstart", "big");
        assertEquals(1, runner.runningCount());
        long pid = runner.runningPids().get(0);
        String running = "WARN Hook is running for ";
        String tail = " seconds (pid=" + pid + ", cmd=[" + hook + " syncstart big]).";

        runner.checkRunning(1_000_000 + 59_999);
        assertFalse(log.lines().stream().anyMatch(line -> line.startsWith(running)), log.lines()::toString);
        runner.checkRunning(1_000_000 + 60_000);
        runner.checkRunning(1_000_000 + 61_000);
        runner.checkRunning(1_000_000 + 119_999);
        clock.set(1_000_000 + 125_500);
        runner.checkRunning();
        List<String> reports = log.lines().stream().filter(line -> line.startsWith(running)).toList();
        assertEquals(List.of(running + "60" + tail, running + "125" + tail), reports);
        assertTrue(log.lines().contains("TRACE Checking hooks."), log.lines()::toString);

        Files.createFile(stop);
        log.await(line -> line.startsWith("DEBUG Hook exited gracefully (pid=" + pid + ","), LIMIT);
        awaitEmpty(runner);
    }

    @Test
    void hookThatVanishedUnseenIsDroppedWithAWarning() throws Exception {
        Path stop = dir.resolve("stop");
        Path hook = waitingScript(stop);
        // As if something else had reaped the child: kill(pid, 0) would say ESRCH.
        HookRunner runner = new HookRunner(false, System::currentTimeMillis, pid -> false);
        runner.runEvent(hook.toString(), "disconnect", "r");
        long pid = runner.runningPids().get(0);
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
        // Missing once may be the JDK's reaper at work: only a miss that lasts a second counts.
        long now = System.currentTimeMillis();
        runner.checkRunning(now);
        runner.checkRunning(now + 999);
        assertEquals(1, runner.runningCount());
        runner.checkRunning(now + 1000);
        assertEquals(List.of("DEBUG Executing hook: " + hook + " disconnect r",
                "TRACE Checking hooks.",
                "TRACE Checking hooks.",
                "TRACE Checking hooks.",
                "WARN Hook disappeared (pid=" + pid + ", cmd=[" + hook + " disconnect r])."), log.lines());
        assertEquals(0, runner.runningCount());

        // Its real exit, seen later, is not reported a second time.
        Files.createFile(stop);
        process.onExit().get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        Thread.sleep(200);
        assertEquals(5, log.lines().size(), log.lines()::toString);
    }

    @Test
    void missingOnceIsNotDisappeared() throws Exception {
        Path stop = dir.resolve("stop");
        Path hook = waitingScript(stop);
        AtomicLong calls = new AtomicLong();
        // Missing, then there again, then missing: each miss starts the grace period anew.
        HookRunner runner = new HookRunner(false, System::currentTimeMillis, pid -> calls.incrementAndGet() % 2 == 0);
        runner.runEvent(hook.toString(), "disconnect", "r");
        long now = System.currentTimeMillis();
        for (int i = 0; i < 6; i++) {
            runner.checkRunning(now + i * 5_000L);
        }
        assertEquals(1, runner.runningCount());
        Files.createFile(stop);
        log.await(line -> line.startsWith("DEBUG Hook exited gracefully"), LIMIT);
        assertFalse(log.lines().stream().anyMatch(line -> line.startsWith("WARN")), log.lines()::toString);
    }

    @Test
    void manyConcurrentHooksAreAllReaped() throws Exception {
        Path hook = script("short.sh", "sleep 0.2");
        HookRunner runner = new HookRunner(false);
        int count = 100;
        // Checks while hooks come and go, as the main loop does every 5 s: no false alarm.
        AtomicLong checks = new AtomicLong();
        Thread checker = new Thread(() -> {
            try {
                while (true) {
                    runner.checkRunning();
                    checks.incrementAndGet();
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                // The test is over.
            }
        }, "checker");
        checker.start();
        for (int i = 0; i < count; i++) {
            runner.runEvent(hook.toString(), "connect", "r" + i);
        }
        List<String> exits;
        try {
            exits = log.awaitCount(line -> line.startsWith("DEBUG Hook exited gracefully"), count, LIMIT);
        } finally {
            checker.interrupt();
            checker.join();
        }
        assertEquals(count, exits.stream().map(HookRunnerTest::pidOf).distinct().count());
        assertTrue(checks.get() > 0);
        awaitEmpty(runner);
        runner.checkRunning();
        assertFalse(log.lines().stream().anyMatch(line -> line.startsWith("WARN") || line.startsWith("ERROR")),
                log.lines()::toString);
    }

    /** Where a hook's descriptors 0, 1 and 2 point, as the hook itself reads them. */
    private List<String> hookDescriptors(boolean foreground) throws Exception {
        Requirements.require(Files.isDirectory(Paths.get("/proc/self/fd")), "needs Linux /proc");
        Path out = dir.resolve(foreground ? "fg" : "bg");
        Path hook = script(foreground ? "fg.sh" : "bg.sh",
                // $(...) runs in a subshell, but $$ still names the hook itself, whose
                // descriptors are untouched until the final redirection.
                "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1); c=$(readlink /proc/$$/fd/2)\n"
                        + "printf '%s\\n' \"$a\" \"$b\" \"$c\" > '" + out + "'");
        HookRunner runner = new HookRunner(foreground);
        runner.runEvent(hook.toString(), "connect", "r");
        log.await(line -> line.startsWith("DEBUG Hook exited gracefully"), LIMIT);
        return Files.readAllLines(out);
    }

    @Test
    void daemonisedHooksHaveDevNullForStdio() throws Exception {
        assertEquals(List.of("/dev/null", "/dev/null", "/dev/null"), hookDescriptors(false));
    }

    @Test
    void foregroundHooksInheritStdio() throws Exception {
        List<String> ours = new ArrayList<>();
        for (int fd = 0; fd <= 2; fd++) {
            ours.add(Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString());
        }
        assertEquals(ours, hookDescriptors(true));
    }
}
