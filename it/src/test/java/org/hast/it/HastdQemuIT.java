package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.hast.testing.QemuGuest;
import org.hast.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue #9 end to end, run by CI ({@code HAST_E2E_REQUIRED=1}) and on request
 * ({@code HAST_QEMU_TESTS=1}): in a {@link QemuGuest} (a real kernel with nbd.ko, this checkout
 * and the host's JDK over 9p) the built {@code bin/hastd} and {@code bin/hastctl} run one node
 * with {@code device auto}, which picks the kernel NBD bridge (netlink) there. The guest script
 * (below) reports each step as a {@code HASTQ} line with the guest's uptime; this test checks
 * that every step was reached, in order, and prints how long each took.
 *
 * <ol>
 * <li>{@code hastctl create}, {@code hastd -F -d}, {@code hastctl role primary}: the worker
 *     makes {@code /dev/hast/r0 -> /dev/nbdN};</li>
 * <li>mkfs.ext4, mount; fio writes to it (direct I/O, with verification); the worker is
 *     killed with SIGKILL: hastd restarts it, the new worker takes the same /dev/nbdN over
 *     (netlink, NBD_CMD_RECONFIGURE), fio sees no error and verifies every block, and e2fsck
 *     is clean afterwards (issue #20, point 10). fio writes 4 MiB at 64 IOPS (4 s, so the kill
 *     at 2 s finds it running however fast the path is): it ends about 30 s after the
 *     kill whatever its size, because the kernel requeues the request that was in flight at the
 *     kill only when its request timeout (30 s) expires;</li>
 * <li>{@code role init}: the symlink goes, /dev/nbdN is free and no worker is left; hastd stops
 *     on SIGTERM.</li>
 * </ol>
 *
 * <p>A JVM that crashes in the guest (its hs_err file lives on the guest's tmpfs) fails the
 * scenario, and its crash report, without the list of mapped libraries, is copied to this
 * test's output.
 *
 * <p>Needs {@code mvn package} first (it runs the jars behind bin/, as an administrator would).
 */
// Alone: the emulated guest keeps one core busy for two minutes, which would starve a
// neighbour's timing.
@Isolated
class HastdQemuIT {
    private static final long SCRIPT_TIMEOUT_SECONDS = 900;
    /** The steps the guest must report, in this order. */
    private static final List<String> STEPS = List.of("CREATED", "HASTD-UP", "PRIMARY-DEVICE", "MKFS-OK",
            "FIO-STARTED", "WORKER-KILLED", "WORKER-RESTARTED", "FIO-OK", "CRASH-FSCK-OK", "FINAL-INIT",
            "HASTD-STOPPED", "SCENARIO");

    @TempDir
    Path work;

    @Test
    void hastdMakesAnExt4DeviceAndSurvivesAWorkerKill() throws Exception {
        QemuGuest guest = QemuGuest.requireInCi();
        Path root = Requirements.projectRoot().toAbsolutePath().normalize();
        for (String built : List.of("bin/hastd", "bin/hastctl", "hastd/target/hastd.jar",
                "hastctl/target/hastctl.jar")) {
            assertTrue(Files.isReadable(root.resolve(built)), root.resolve(built) + " missing: mvn package first");
        }
        String script = SCRIPT.replace("@ROOT@", root.toString())
                .replace("@JAVA_HOME@", System.getProperty("java.home"));
        QemuGuest.Run run = guest.memoryMb(2048).run(work, Map.of("hastd-scenario.sh", script),
                "hastd-scenario.sh", SCRIPT_TIMEOUT_SECONDS, root.resolve("it/target/hastd-qemu-console.log"));
        Map<String, String> facts = run.facts();
        System.out.println("qemu run: " + run.wallMs() + " ms wall, exited=" + run.exited() + ", boots "
                + run.bootAttempts() + "; console kept in "
                + run.keptConsole());
        System.out.print(timings(facts));
        System.out.print(crashReports(run.console()));
        if (!run.exited()) {
            fail("qemu did not finish in time; facts " + facts);
        }
        List<String> reached = new ArrayList<>(facts.keySet());
        reached.retainAll(STEPS);
        assertEquals(STEPS, reached, "steps reached; FAIL = " + facts.get("FAIL") + "; console in "
                + run.keptConsole());
        assertTrue(facts.get("SCENARIO").startsWith("PASS"), "scenario: " + facts.get("SCENARIO"));
        assertTrue(facts.get("WORKER-RESTARTED").contains("same " + facts.get("WORKER-KILLED").split(" ")[2]),
                "the device was not taken over: " + facts.get("WORKER-RESTARTED"));
        assertEquals(0, run.guestExit(), "guest script exit");
    }

    /**
     * The JVM crash reports the guest printed (see {@code crash_reports} in the script), so that
     * a crash can be read in the test's own output: the console file stays behind on the
     * machine that ran the test, CI's log is all one gets from elsewhere.
     */
    private static String crashReports(String console) {
        StringBuilder out = new StringBuilder();
        boolean inside = false;
        for (String line : console.split("\r?\n")) {
            inside |= line.startsWith("---- crash report ");
            if (inside) {
                out.append(line).append(System.lineSeparator());
            }
            inside &= !line.startsWith("---- end of crash report");
        }
        return out.toString();
    }

    /** One line per fact: the guest time, the time since the previous fact, the fact. */
    private static String timings(Map<String, String> facts) {
        StringBuilder out = new StringBuilder();
        double previous = Double.NaN;
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            double at = guestTime(fact.getValue());
            String delta = Double.isNaN(at) || Double.isNaN(previous) ? "" : String.format("+%.2fs", at - previous);
            out.append(String.format("  %-8s %-18s %s%n", delta, fact.getKey(), fact.getValue()));
            if (!Double.isNaN(at)) {
                previous = at;
            }
        }
        return out.toString();
    }

    private static double guestTime(String rest) {
        int at = rest.lastIndexOf("t=");
        if (at < 0) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(rest.substring(at + 2).strip());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * Runs in the host's root (chroot) under dash. Every wait is bounded ({@code until_within});
     * the first failed step reports {@code FAIL}, prints the daemon's log and stops. The daemon's
     * and workers' output (foreground, debug) goes to $W/hastd.log.
     */
    private static final String SCRIPT = """
            R=@ROOT@
            export JAVA_HOME=@JAVA_HOME@ HAST_NODE=guest
            export PATH=$JAVA_HOME/bin:/usr/sbin:/usr/bin:/sbin:/bin
            W=/tmp/hq
            D=/dev/hast/r0
            M=/tmp/mnt
            t() { cut -d' ' -f1 /proc/uptime; }
            now() { cut -d. -f1 /proc/uptime; }
            say() { echo "HASTQ $* t=$(t)"; }
            dump() { echo "---- hastd log"; sed 's/^/hastd| /' $W/hastd.log; echo "---- end of hastd log"; }
            # The JVMs' crash reports: those the crash banners in hastd's log name (an -XX:ErrorFile
            # included) and any hs_err file in /tmp or $W. They live on the guest's tmpfs, which
            # dies with the guest, so they go to the console (without the long list of mapped
            # libraries) between markers that the test copies to its own output.
            crash_files() {
                { grep -A1 "error report file .* saved as" $W/hastd.log | sed -n 's|^# */|/|p'
                  ls /tmp/hs_err_pid*.log $W/hs_err*.log 2>/dev/null; } | sort -u
            }
            crash_reports() {
                for f in $(crash_files); do
                    [ -r "$f" ] || continue
                    echo "---- crash report $f"
                    sed '/^Dynamic libraries:/,/^$/d; s/^/hs_err| /' "$f"
                    echo "---- end of crash report"
                done
            }
            # One line per crash for the FAIL message (CI's log shows the failure message, not
            # the test's output): the signal and pc, the frame, siginfo and the thread.
            crash_summary() {
                for f in $(crash_files); do
                    [ -r "$f" ] || continue
                    { grep -m1 -E "^# +(SIG[A-Z]+ |Internal Error|Out of Memory)" "$f"
                      grep -m1 -A1 "^# Problematic frame" "$f" | tail -n1
                      grep -m1 "^siginfo:" "$f"
                      grep -m1 "^Current thread" "$f"; } | tr '\n' ' ' | tr -s ' '
                    echo
                done
            }
            die() { say FAIL "$*"; dump; crash_reports; [ -n "$HASTD" ] && kill -9 $HASTD; exit 1; }
            ctl() { c=$1; shift; "$R/bin/hastctl" "$c" -c $W/hast.conf "$@"; }
            # until_within SECONDS COMMAND...: retries COMMAND until it succeeds or time is up.
            until_within() {
                end=$(( $(now) + $1 )); shift
                while ! "$@"; do [ "$(now)" -ge $end ] && return 1; sleep 0.2; done
            }
            device_up() { [ -L $D ] && [ -b $D ] && [ "$(cat /sys/block/$(basename "$(readlink $D)")/size)" -gt 0 ]; }
            device_gone() { [ ! -e $D ] && [ ! -L $D ]; }
            nbd_free() { [ ! -e /sys/block/$1/pid ] && [ "$(cat /sys/block/$1/size)" = 0 ]; }
            no_worker() { ! pgrep -f "hastd: r0 \\(" >/dev/null; }
            worker_pid() { pgrep -f "hastd: r0 \\(primary\\)"; }
            new_worker() { p=$(worker_pid) && [ -n "$p" ] && [ "$p" != "$1" ]; }
            # How many times a worker has made (or taken over) the device, from hastd's log.
            devices_made() { grep -c "Device $D created" $W/hastd.log; }
            HASTD=

            mkdir -p $W $M
            truncate -s 64M $W/r0.img
            cat >$W/hast.conf <<EOF
            control $W/control
            pidfile $W/hastd.pid
            devdir /dev/hast
            resource r0 {
                device auto
                on guest {
                    local $W/r0.img
                    remote none
                }
            }
            EOF
            ctl create r0 || die "hastctl create"
            say CREATED
            "$R/bin/hastd" -F -d -c $W/hast.conf >$W/hastd.log 2>&1 &
            HASTD=$!
            until_within 120 [ -S $W/control ] || die "no control socket"
            say HASTD-UP pid $HASTD

            ctl role primary r0 || die "role primary"
            until_within 120 device_up || die "no $D after role primary"
            NBD=$(basename "$(readlink $D)")
            say PRIMARY-DEVICE $D "->" $(readlink $D) worker $(worker_pid)

            mkfs.ext4 -q -F $D || die "mkfs.ext4"
            say MKFS-OK

            OLD=$(worker_pid) || die "no primary worker"
            CREATED_BEFORE=$(devices_made)
            mount -t ext4 $D $M || die "mount"
            fio --name=crash --directory=$M --size=4m --bs=16k --rw=randwrite --direct=1 --ioengine=psync --rate_iops=64 \
                --verify=crc32c --verify_fatal=1 --eta=never --output=$W/fio.out >$W/fio.err 2>&1 &
            FIO=$!
            sleep 2
            kill -0 $FIO 2>/dev/null || die "fio ended before the kill: $(cat $W/fio.out $W/fio.err)"
            say FIO-STARTED pid $FIO
            kill -9 $OLD || die "kill -9 $OLD"
            say WORKER-KILLED pid $OLD $NBD
            until_within 120 new_worker $OLD || die "no new worker"
            until_within 120 eval '[ $(devices_made) -gt $CREATED_BEFORE ]' || die "no device from the new worker"
            [ "$(basename "$(readlink $D)")" = $NBD ] && SAME="same $NBD" || SAME="other $(readlink $D)"
            say WORKER-RESTARTED pid $(worker_pid) $SAME
            until_within 300 eval '! kill -0 $FIO 2>/dev/null' || die "fio still running 300 s after the restart"
            wait $FIO; RC=$?
            grep -q "err= 0" $W/fio.out && [ $RC = 0 ] || { cat $W/fio.out $W/fio.err; die "fio failed ($RC)"; }
            say FIO-OK $(grep -E "WRITE:|READ:" $W/fio.out | sed 's/,.*//' | tr '\n' ' ')
            umount $M || die "umount after fio"
            e2fsck -fn $D >$W/fsck.out 2>&1 || { cat $W/fsck.out; die "e2fsck after the kill"; }
            say CRASH-FSCK-OK

            NBD=$(basename "$(readlink $D)")
            ctl role init r0 || die "final role init"
            until_within 60 device_gone || die "$D still there after the final role init"
            until_within 60 nbd_free $NBD || die "$NBD still configured after the final role init"
            until_within 60 no_worker || die "worker still running after the final role init"
            say FINAL-INIT $NBD free
            kill -TERM $HASTD
            until_within 60 eval '! kill -0 $HASTD 2>/dev/null' || die "hastd ignored SIGTERM"
            wait $HASTD
            say HASTD-STOPPED exit $?
            HASTD=
            [ -z "$(crash_files)" ] || die "a JVM crashed: $(crash_files | tr '\n' ' ')-- $(crash_summary | tr '\n' ' ')"
            dump
            say SCENARIO PASS
            """;
}
