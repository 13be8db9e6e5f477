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

/**
 * Issue #9 end to end, opt-in ({@code HAST_QEMU_TESTS=1}): in a {@link QemuGuest} (a real
 * kernel with nbd.ko, this checkout and the host's JDK over 9p) the built {@code bin/hastd} and
 * {@code bin/hastctl} run one node with {@code device nbd}. The guest script (below) reports
 * each step as a {@code HASTQ} line with the guest's uptime; this test checks that every step
 * was reached, in order, and prints how long each took.
 *
 * <ol>
 * <li>{@code hastctl create}, {@code hastd -F -d}, {@code hastctl role primary}: the worker
 *     makes {@code /dev/hast/r0 -> /dev/nbdN};</li>
 * <li>mkfs.ext4, mount, write files, sync, umount;</li>
 * <li>{@code role init}: the symlink goes, /dev/nbdN is free and no worker is left;</li>
 * <li>{@code role primary} again: fsck is clean and the files read back (checksums);</li>
 * <li>the worker is killed with SIGKILL under a direct-I/O dd: dd gets EIO; hastd restarts the
 *     worker and its device takes writes and reads them back.</li>
 * </ol>
 *
 * <p>Needs {@code mvn package} first (it runs the jars behind bin/, as an administrator would).
 */
class HastdQemuIT {
    private static final long SCRIPT_TIMEOUT_SECONDS = 900;
    /** The steps the guest must report, in this order. */
    private static final List<String> STEPS = List.of("CREATED", "HASTD-UP", "PRIMARY-DEVICE", "MKFS-OK",
            "WRITTEN", "INIT-DEVICE-GONE", "PRIMARY-AGAIN", "FSCK-OK", "READBACK-OK", "WRITER-STARTED",
            "WORKER-KILLED", "WRITER-EIO", "WORKER-RESTARTED", "RESTARTED-IO-OK", "FINAL-INIT", "HASTD-STOPPED",
            "SCENARIO");

    @TempDir
    Path work;

    @Test
    void hastdMakesAnExt4DeviceAndSurvivesAWorkerKill() throws Exception {
        QemuGuest guest = QemuGuest.requireOptIn();
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
        if (!run.exited()) {
            fail("qemu did not finish in time; facts " + facts);
        }
        List<String> reached = new ArrayList<>(facts.keySet());
        reached.retainAll(STEPS);
        assertEquals(STEPS, reached, "steps reached; FAIL = " + facts.get("FAIL") + "; console in "
                + run.keptConsole());
        assertTrue(facts.get("SCENARIO").startsWith("PASS"), "scenario: " + facts.get("SCENARIO"));
        String writer = facts.get("WRITER-EIO");
        assertTrue(writer.contains("Input/output error") && !writer.contains("exit 0:"), "writer: " + writer);
        assertEquals(0, run.guestExit(), "guest script exit");
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
            die() { say FAIL "$*"; dump; [ -n "$HASTD" ] && kill -9 $HASTD; exit 1; }
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
            HASTD=

            mkdir -p $W $M
            truncate -s 64M $W/r0.img
            cat >$W/hast.conf <<EOF
            control $W/control
            pidfile $W/hastd.pid
            devdir /dev/hast
            resource r0 {
                device nbd
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
            mount -t ext4 $D $M || die "mount"
            dd if=/dev/urandom of=$M/big bs=1M count=16 conv=fsync 2>/dev/null || die "write big"
            echo "written through /dev/hast/r0" >$M/small
            (cd $M && sha256sum big small) >$W/sums
            sync
            umount $M || die "umount"
            say WRITTEN 16MiB+small $(cut -c1-16 $W/sums | tr '\\n' ' ')

            ctl role init r0 || die "role init"
            until_within 60 device_gone || die "$D still there after role init"
            until_within 60 nbd_free $NBD || die "$NBD still configured after role init"
            until_within 60 no_worker || die "worker still running after role init"
            say INIT-DEVICE-GONE $NBD free

            ctl role primary r0 || die "role primary again"
            until_within 120 device_up || die "no $D after the second role primary"
            say PRIMARY-AGAIN $D "->" $(readlink $D)
            e2fsck -fn $D >$W/fsck.out 2>&1 || { cat $W/fsck.out; die "e2fsck"; }
            say FSCK-OK
            echo 3 >/proc/sys/vm/drop_caches
            mount -t ext4 -o ro $D $M || die "mount again"
            (cd $M && sha256sum -c $W/sums) || die "checksums differ"
            umount $M
            say READBACK-OK

            OLD=$(worker_pid) || die "no primary worker"
            # Direct I/O so that the writes reach the worker, not the page cache; the loop
            # keeps writing 16 MiB rounds until a dd fails, and records its exit status.
            ( n=0
              while :; do
                  dd if=/dev/zero of=$D bs=64k count=256 oflag=direct 2>$W/dd.err || { echo "$? $n" >$W/dd.rc; break; }
                  n=$((n+1))
              done ) &
            WRITER=$!
            sleep 2
            [ -e $W/dd.rc ] && die "the writer stopped before the kill: $(cat $W/dd.rc) $(cat $W/dd.err)"
            say WRITER-STARTED pid $WRITER
            kill -9 $OLD || die "kill -9 $OLD"
            say WORKER-KILLED pid $OLD
            until_within 60 [ -e $W/dd.rc ] || die "the writer did not fail within 60 s after the kill"
            say WRITER-EIO rounds $(cut -d' ' -f2 $W/dd.rc) exit $(cut -d' ' -f1 $W/dd.rc): $(grep -v records $W/dd.err)
            until_within 120 new_worker $OLD || die "no new worker"
            until_within 120 device_up || die "no $D from the restarted worker"
            say WORKER-RESTARTED pid $(worker_pid) $D "->" $(readlink $D)
            dd if=/dev/urandom of=$W/pattern bs=64k count=32 2>/dev/null
            dd if=$W/pattern of=$D bs=64k oflag=direct conv=fsync 2>/dev/null || die "write after the restart"
            dd if=$D of=$W/back bs=64k count=32 iflag=direct 2>/dev/null || die "read after the restart"
            cmp $W/pattern $W/back || die "read back differs after the restart"
            say RESTARTED-IO-OK 2MiB

            NBD=$(basename "$(readlink $D)")
            ctl role init r0 || die "final role init"
            until_within 60 device_gone || die "$D still there after the final role init"
            until_within 60 nbd_free $NBD || die "$NBD still configured after the final role init"
            say FINAL-INIT
            kill -TERM $HASTD
            until_within 60 eval '! kill -0 $HASTD 2>/dev/null' || die "hastd ignored SIGTERM"
            wait $HASTD
            say HASTD-STOPPED exit $?
            HASTD=
            dump
            say SCENARIO PASS
            """;
}
