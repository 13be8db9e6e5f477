package org.hast.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel path for real, opt-in ({@code HAST_QEMU_TESTS=1}): a qemu TCG guest boots the
 * Debian kernel installed on this host with a busybox initramfs, loads nbd.ko, mounts the host's
 * root read-only over 9p, chroots into it and runs {@code KernelNbdGuestMain} with the host's
 * JDK and this build's class path (feasibility.md, experiment 5). The guest reports on its
 * console; this test parses the {@code HASTQ} lines.
 *
 * <p>Needs, on the host: qemu-system-x86, linux-image-amd64 (a /boot/vmlinuz-* whose modules
 * include nbd.ko), busybox-static and e2fsprogs. They are not in scripts/install-deps: this test
 * does not run in normal CI. The whole run is bounded and qemu is killed (by its PID) when it
 * overruns.
 */
class KernelNbdQemuTest {
    private static final long RUN_TIMEOUT_SECONDS = 480;
    private static final long BACKING_BYTES = 64L << 20;
    /** The modules the guest loads, dependencies resolved from modules.dep. */
    private static final List<String> MODULES = List.of("nbd", "virtio_pci", "9pnet_virtio", "9p",
            "crc32c_generic", "ext4");

    @TempDir
    Path work;

    @Test
    void filesystemOnKernelNbdInAGuest() throws Exception {
        Assumptions.assumeTrue("1".equals(System.getenv("HAST_QEMU_TESTS")),
                "qemu test skipped: set HAST_QEMU_TESTS=1 (needs qemu-system-x86, linux-image-amd64, busybox-static)");
        Path qemu = Paths.get("/usr/bin/qemu-system-x86_64");
        Path busybox = Paths.get("/bin/busybox");
        // Asked for explicitly: what is missing is an error, not a reason to skip.
        Assertions.assertTrue(Files.isExecutable(qemu), "HAST_QEMU_TESTS=1 but no " + qemu + " (qemu-system-x86)");
        Assertions.assertTrue(Files.isExecutable(busybox), "HAST_QEMU_TESTS=1 but no " + busybox + " (busybox-static)");
        String release = kernelWithNbd();
        Assertions.assertTrue(release != null, "HAST_QEMU_TESTS=1 but no /boot/vmlinuz-* with nbd.ko (linux-image-amd64)");

        Path modulesDir = Paths.get("/lib/modules", release);
        List<String> load = loadOrder(modulesDir, MODULES);
        Path initrd = work.resolve("initrd.cpio");
        buildInitramfs(initrd, busybox, modulesDir, load);

        Path log = work.resolve("console.log");
        List<String> argv = List.of(qemu.toString(), "-accel", "tcg,thread=multi", "-m", "1536", "-smp", "2",
                "-nographic", "-no-reboot", "-kernel", "/boot/vmlinuz-" + release, "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 loglevel=3 rdinit=/init",
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
        long startNs = System.nanoTime();
        Process vm = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited;
        try {
            exited = vm.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } finally {
            if (vm.isAlive()) {
                vm.destroyForcibly(); // by PID: the Process object is ours
                vm.waitFor(10, TimeUnit.SECONDS);
            }
        }
        long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        String console = Files.readString(log, StandardCharsets.UTF_8);
        Path kept = Paths.get("target", "kernel-nbd-qemu-console.log");
        Files.createDirectories(kept.getParent());
        Files.writeString(kept, console, StandardCharsets.UTF_8);
        Map<String, String> facts = facts(console);
        System.out.println("qemu run: " + wallMs + " ms wall, exited=" + exited + "; console kept in "
                + kept.toAbsolutePath());
        facts.forEach((k, v) -> System.out.println("  " + k + " " + v));
        if (!exited) {
            fail("qemu did not finish within " + RUN_TIMEOUT_SECONDS + " s; facts " + facts);
        }
        assertTrue(facts.getOrDefault("MAIN-RESULT", "").startsWith("PASS"),
                "guest result: " + facts.get("MAIN-RESULT") + "; console in " + kept.toAbsolutePath());
        assertTrue(facts.containsKey("IO-CHECKSUM-OK"), "no checksum line; facts " + facts);
        assertTrue(facts.containsKey("IO-FSCK-OK"), "no fsck line; facts " + facts);
        assertTrue(facts.containsKey("TAKEN-OVER"), "no take-over after a crash; facts " + facts);
        assertEquals("0", facts.getOrDefault("JAVA-EXIT", "?").split(" ")[0]);
    }

    /** The newest installed kernel release whose modules contain nbd.ko. */
    private static String kernelWithNbd() throws IOException {
        try (Stream<Path> boot = Files.list(Paths.get("/boot"))) {
            return boot.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("vmlinuz-"))
                    .map(n -> n.substring("vmlinuz-".length()))
                    .filter(r -> Files.exists(Paths.get("/lib/modules", r, "kernel/drivers/block/nbd.ko")))
                    .max(Comparator.naturalOrder()).orElse(null);
        }
    }

    /** Module paths (relative to the modules dir) in load order: dependencies first. */
    static List<String> loadOrder(Path modulesDir, List<String> wanted) throws IOException {
        Map<String, List<String>> deps = new HashMap<>();
        Map<String, String> byName = new HashMap<>();
        for (String line : Files.readAllLines(modulesDir.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String module = line.substring(0, colon);
            String rest = line.substring(colon + 1).strip();
            deps.put(module, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
            byName.put(moduleName(module), module);
        }
        Set<String> order = new LinkedHashSet<>();
        for (String name : wanted) {
            String module = byName.get(name);
            if (module == null) {
                continue; // built in
            }
            visit(module, deps, order);
        }
        return new ArrayList<>(order);
    }

    private static void visit(String module, Map<String, List<String>> deps, Set<String> order) {
        if (order.contains(module)) {
            return;
        }
        for (String dep : deps.getOrDefault(module, List.of())) {
            visit(dep, deps, order);
        }
        order.add(module);
    }

    private static String moduleName(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return file.substring(0, file.indexOf(".ko")).replace('-', '_');
    }

    private void buildInitramfs(Path initrd, Path busybox, Path modulesDir, List<String> modules)
            throws IOException {
        String javaHome = System.getProperty("java.home");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> absolute = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            absolute.add(Paths.get(entry).toAbsolutePath().toString());
        }
        StringBuilder insmods = new StringBuilder();
        for (String module : modules) {
            String base = module.substring(module.lastIndexOf('/') + 1);
            insmods.append("insmod /mods/").append(base).append(base.startsWith("nbd.") ? " nbds_max=4" : "")
                    .append(" || echo \"HASTQ INSMOD-FAILED ").append(base).append("\"\n");
        }
        String init = """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                exec >/dev/console 2>&1
                echo "HASTQ BOOTED $(cut -d' ' -f1 /proc/uptime)"
                %s
                mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host \
                  || echo "HASTQ 9P-FAILED"
                mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
                mount -t tmpfs -o size=512m tmp /host/tmp
                cp /hastq/io.sh /host/tmp/io.sh
                echo "HASTQ MODULES-LOADED $(ls /sys/block | grep -c nbd) nbd devices t=$(cut -d' ' -f1 /proc/uptime)"
                export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
                timeout 400 chroot /host %s/bin/java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
                  -Djava.io.tmpdir=/tmp -cp %s \
                  org.hast.device.nbd.KernelNbdGuestMain /tmp/backing.img %d /dev/hast-test qtest /tmp/io.sh
                echo "HASTQ JAVA-EXIT $? t=$(cut -d' ' -f1 /proc/uptime)"
                sync
                poweroff -f
                """.formatted(insmods, javaHome, String.join(":", absolute), BACKING_BYTES);
        String io = """
                # $1 = the provider symlink; runs in the host root (chroot), so host tools are used.
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
        Cpio cpio = new Cpio();
        for (String dir : List.of("bin", "dev", "proc", "sys", "mods", "host", "hastq")) {
            cpio.directory(dir);
        }
        cpio.charDevice("dev/console", 5, 1);
        cpio.file("bin/busybox", Files.readAllBytes(busybox), 0755);
        cpio.file("init", init.getBytes(StandardCharsets.UTF_8), 0755);
        cpio.file("hastq/io.sh", io.getBytes(StandardCharsets.UTF_8), 0755);
        for (String module : modules) {
            cpio.file("mods/" + module.substring(module.lastIndexOf('/') + 1),
                    Files.readAllBytes(modulesDir.resolve(module)), 0644);
        }
        Files.write(initrd, cpio.finish());
    }

    /** {@code HASTQ KEY rest} lines; a repeated key keeps its last value. */
    static Map<String, String> facts(String console) {
        Map<String, String> facts = new LinkedHashMap<>();
        for (String line : console.split("\r?\n")) {
            int at = line.indexOf("HASTQ ");
            if (at < 0) {
                continue;
            }
            String[] parts = line.substring(at + 6).strip().split(" ", 2);
            facts.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        return facts;
    }

    /** The "newc" cpio format the kernel unpacks as its initramfs (no compression needed). */
    static final class Cpio {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int inode = 1;

        void directory(String name) {
            entry(name, 040755, 2, 0, 0, new byte[0]);
        }

        void charDevice(String name, int major, int minor) {
            entry(name, 020600, 1, major, minor, new byte[0]);
        }

        void file(String name, byte[] data, int permissions) {
            entry(name, 0100000 | permissions, 1, 0, 0, data);
        }

        byte[] finish() {
            entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
            return out.toByteArray();
        }

        private void entry(String name, int mode, int links, int rdevMajor, int rdevMinor, byte[] data) {
            byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
            StringBuilder header = new StringBuilder("070701");
            long[] fields = {inode++, mode, 0, 0, links, 0, data.length, 0, 0, rdevMajor, rdevMinor,
                nameBytes.length, 0};
            for (long field : fields) {
                header.append(String.format("%08x", field));
            }
            out.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(nameBytes);
            pad();
            out.writeBytes(data);
            pad();
        }

        private void pad() {
            while (out.size() % 4 != 0) {
                out.write(0);
            }
        }
    }
}
