package org.hast.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import org.hast.testing.QemuGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel path for real, opt-in ({@code HAST_QEMU_TESTS=1}): in a {@link QemuGuest} (the
 * Debian kernel under qemu TCG, the host's root over 9p) {@code KernelNbdGuestMain} runs with
 * the host's JDK and this build's test class path and drives {@link KernelNbdBridge} directly.
 * The guest reports on its console; this test parses the {@code HASTQ} lines. The real daemon
 * in the same kind of guest is {@code org.hast.it.HastdQemuIT}.
 *
 * <p>Needs, on the host, what {@link QemuGuest} lists, and e2fsprogs.
 */
class KernelNbdQemuTest {
    private static final long SCRIPT_TIMEOUT_SECONDS = 400;
    private static final long BACKING_BYTES = 64L << 20;

    @TempDir
    Path work;

    @Test
    void filesystemOnKernelNbdInAGuest() throws Exception {
        QemuGuest guest = QemuGuest.requireOptIn();
        String main = """
                t() { cut -d' ' -f1 /proc/uptime; }
                %s/bin/java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp -cp %s \
                  org.hast.device.nbd.KernelNbdGuestMain /tmp/backing.img %d /dev/hast-test qtest /tmp/io.sh
                echo "HASTQ JAVA-EXIT $? t=$(t)"
                """.formatted(System.getProperty("java.home"), QemuGuest.absoluteTestClassPath(), BACKING_BYTES);
        QemuGuest.Run run = guest.run(work, Map.of("main.sh", main, "io.sh", IO_SCRIPT), "main.sh",
                SCRIPT_TIMEOUT_SECONDS, Paths.get("target", "kernel-nbd-qemu-console.log"));
        Map<String, String> facts = run.facts();
        System.out.println("qemu run: " + run.wallMs() + " ms wall, exited=" + run.exited() + ", boots "
                + run.bootAttempts() + "; console kept in "
                + run.keptConsole());
        facts.forEach((k, v) -> System.out.println("  " + k + " " + v));
        if (!run.exited()) {
            fail("qemu did not finish in time; facts " + facts);
        }
        assertTrue(facts.getOrDefault("MAIN-RESULT", "").startsWith("PASS"),
                "guest result: " + facts.get("MAIN-RESULT") + "; console in " + run.keptConsole());
        assertTrue(facts.containsKey("IO-CHECKSUM-OK"), "no checksum line; facts " + facts);
        assertTrue(facts.containsKey("IO-FSCK-OK"), "no fsck line; facts " + facts);
        assertTrue(facts.containsKey("TAKEN-OVER"), "no take-over after a crash; facts " + facts);
        assertTrue(facts.getOrDefault("FIO", "").contains("exit=0"), "fio across the crash: " + facts.get("FIO"));
        assertTrue(facts.getOrDefault("CRASH-FSCK", "").startsWith("exit=0"), "fsck: " + facts.get("CRASH-FSCK"));
        assertEquals("0", facts.getOrDefault("JAVA-EXIT", "?").split(" ")[0]);
    }

    /** $1 = the provider symlink; runs in the host root (chroot), so host tools are used. */
    private static final String IO_SCRIPT = """
            set -e
            D=$1
            t() { cut -d' ' -f1 /proc/uptime; }
            echo "HASTQ IO-START $D -> $(readlink $D) t=$(t)"
            mkfs.ext4 -q -F "$D"
            echo "HASTQ IO-MKFS-OK t=$(t)"
            mkdir -p /tmp/mnt
            mount -t ext4 "$D" /tmp/mnt
            dd if=/dev/urandom of=/tmp/mnt/data bs=1M count=16 conv=fsync 2>/dev/null
            S1=$(sha256sum /tmp/mnt/data | cut -d' ' -f1)
            umount /tmp/mnt
            echo "HASTQ IO-WRITTEN 16MiB t=$(t)"
            echo 3 > /proc/sys/vm/drop_caches
            mount -t ext4 -o ro "$D" /tmp/mnt
            S2=$(sha256sum /tmp/mnt/data | cut -d' ' -f1)
            umount /tmp/mnt
            if [ "$S1" = "$S2" ]; then echo "HASTQ IO-CHECKSUM-OK $S1 t=$(t)"; else echo "HASTQ IO-CHECKSUM-BAD $S1 $S2"; exit 1; fi
            e2fsck -fn "$D" >/tmp/fsck.out 2>&1 && echo "HASTQ IO-FSCK-OK t=$(t)" || { cat /tmp/fsck.out; exit 1; }
            """;
}
