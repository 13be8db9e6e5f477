package org.hast.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
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

/**
 * A throw-away Linux machine for the opt-in kernel tests ({@code HAST_QEMU_TESTS=1};
 * feasibility.md, experiment 5): qemu TCG boots the Debian kernel installed on this host with
 * a busybox initramfs, loads nbd.ko and the 9p and ext4 modules, mounts the host's root
 * read-only over 9p, mounts fresh proc, sysfs, devtmpfs and tmpfs (on /tmp and /run) inside it,
 * and runs a shell script chrooted there. The host's JDK, this checkout and the host's tools
 * (mkfs.ext4, e2fsck, dd) are therefore all usable in the guest at their host paths.
 *
 * <p>The script reports on the console, one {@code HASTQ <key> <rest>} line per fact;
 * {@link Run#facts()} parses them. The guest adds {@code BOOTED}, {@code MODULES-LOADED} and,
 * after the script, {@code GUEST-EXIT <status>}. The whole run is bounded: qemu is killed (by
 * the PID of the process we started) when it overruns; a guest that does not reach init within
 * {@value #BOOT_LIMIT_SECONDS} s is killed and booted once more.
 *
 * <p>Needs, on the host: qemu-system-x86, linux-image-amd64 (a /boot/vmlinuz-* whose modules
 * include nbd.ko) and busybox-static; scripts/install-deps installs them, because CI runs the
 * guest tests that use {@link #requireInCi()}.
 */
public final class QemuGuest {
    public static final String OPT_IN = "HAST_QEMU_TESTS";
    /** The modules every guest loads, dependencies resolved from modules.dep. */
    private static final List<String> MODULES = List.of("nbd", "virtio_pci", "9pnet_virtio", "9p",
            "crc32c_generic", "ext4");
    private static final Path QEMU = Paths.get("/usr/bin/qemu-system-x86_64");
    private static final Path BUSYBOX = Paths.get("/bin/busybox");
    /** Init normally starts 2-3 s after qemu (feasibility.md, experiment 5), 20 s on a busy host. */
    private static final long BOOT_LIMIT_SECONDS = 90;
    private static final int BOOT_ATTEMPTS = 2;

    private final String release;
    private int memoryMb = 1536;
    private int cpus = 2;
    private int nbdDevices = 4;

    private QemuGuest(String release) {
        this.release = release;
    }

    /**
     * Skips unless {@code HAST_QEMU_TESTS=1}; once opted in, a missing qemu, busybox or kernel
     * fails the test instead of skipping it (it was asked for explicitly).
     */
    public static QemuGuest requireOptIn() throws IOException {
        Assumptions.assumeTrue("1".equals(System.getenv(OPT_IN)), "qemu test skipped: set " + OPT_IN
                + "=1 (needs qemu-system-x86, linux-image-amd64, busybox-static)");
        Assertions.assertTrue(Files.isExecutable(QEMU), OPT_IN + "=1 but no " + QEMU + " (qemu-system-x86)");
        Assertions.assertTrue(Files.isExecutable(BUSYBOX), OPT_IN + "=1 but no " + BUSYBOX + " (busybox-static)");
        String release = kernelWithNbd();
        Assertions.assertTrue(release != null, OPT_IN + "=1 but no /boot/vmlinuz-* with nbd.ko (linux-image-amd64)");
        return new QemuGuest(release);
    }

    /**
     * For the guest tests that CI runs (the path {@code device auto} takes on a stock Debian
     * kernel): they run under {@code HAST_QEMU_TESTS=1} or {@code HAST_E2E_REQUIRED=1} and
     * fail there when qemu, busybox or the kernel is missing; otherwise they skip (a few
     * minutes of emulation are not for every local build).
     */
    public static QemuGuest requireInCi() throws IOException {
        if (!Requirements.e2eRequired()) {
            return requireOptIn();
        }
        Assertions.assertTrue(Files.isExecutable(QEMU), "HAST_E2E_REQUIRED=1 but no " + QEMU
                + " (qemu-system-x86; scripts/install-deps installs it)");
        Assertions.assertTrue(Files.isExecutable(BUSYBOX), "HAST_E2E_REQUIRED=1 but no " + BUSYBOX
                + " (busybox-static)");
        String release = kernelWithNbd();
        Assertions.assertTrue(release != null, "HAST_E2E_REQUIRED=1 but no /boot/vmlinuz-* with nbd.ko "
                + "(linux-image-amd64)");
        return new QemuGuest(release);
    }

    public QemuGuest memoryMb(int mb) {
        this.memoryMb = mb;
        return this;
    }

    public QemuGuest cpus(int count) {
        this.cpus = count;
        return this;
    }

    /** {@code nbds_max} for nbd.ko: how many /dev/nbdN the guest has. */
    public QemuGuest nbdDevices(int count) {
        this.nbdDevices = count;
        return this;
    }

    /** What one boot produced. */
    public record Run(boolean exited, long wallMs, int bootAttempts, String console, Path keptConsole) {
        /** The guest's {@code HASTQ} lines; a repeated key keeps its last value. */
        public Map<String, String> facts() {
            return QemuGuest.facts(console);
        }

        /** The script's exit status as the guest saw it ({@code 124} = its time limit), or -1. */
        public int guestExit() {
            String exit = facts().get("GUEST-EXIT");
            return exit == null ? -1 : Integer.parseInt(exit.split(" ")[0]);
        }
    }

    /**
     * Boots, runs {@code files.get(script)} as {@code /bin/sh /tmp/<script>} in the host's root
     * (every entry of {@code files} is copied to the guest's /tmp first, executable) with at most
     * {@code scriptSeconds}, powers off. qemu itself gets {@code scriptSeconds} plus a margin for
     * booting. The console is kept in {@code keptConsole} whatever happens.
     */
    public Run run(Path work, Map<String, String> files, String script, long scriptSeconds, Path keptConsole)
            throws IOException, InterruptedException {
        if (!files.containsKey(script)) {
            throw new IllegalArgumentException("no file " + script + " among " + files.keySet());
        }
        Path modulesDir = Paths.get("/lib/modules", release);
        Path initrd = work.resolve("initrd.cpio");
        Files.write(initrd, initramfs(modulesDir, loadOrder(modulesDir, MODULES), files, script, scriptSeconds));
        Path log = work.resolve("console.log");
        // One host thread runs both vCPUs in turn. With one thread per vCPU, two CI runs in
        // December 2026 saw a guest JVM die of SIGSEGV at a compiled method's first
        // instruction, where HotSpot patches code that another thread may be entering: x86
        // makes that patch atomic for an instruction fetch, and a TCG translator on another
        // host thread, reading the bytes one at a time, may not see it so. Single-threaded TCG
        // cannot interleave the two. The guest still has two CPUs; it runs longer (HastdQemuIT:
        // 81 and 127 s in two runs, against 74).
        List<String> argv = List.of(QEMU.toString(), "-accel", "tcg,thread=single", "-m", Integer.toString(memoryMb),
                "-smp", Integer.toString(cpus), "-nographic", "-no-reboot", "-kernel", "/boot/vmlinuz-" + release,
                "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 loglevel=3 rdinit=/init cryptomgr.notests",
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
        long limitSeconds = scriptSeconds + 120;
        long startNs = System.nanoTime();
        int attempt = 1;
        Process vm = start(argv, log);
        boolean exited;
        try {
            // A TCG guest on a busy host now and then never reaches init (seen: a soft lockup
            // in the kernel's boot-time crypto self-tests); one more boot is cheaper than a
            // run lost to the overall limit.
            while (!awaitBoot(vm, log) && vm.isAlive() && attempt < BOOT_ATTEMPTS) {
                kill(vm);
                Files.move(log, work.resolve("console-boot-" + attempt + ".log"));
                System.out.println("qemu guest did not reach init within " + BOOT_LIMIT_SECONDS
                        + " s; booting again");
                attempt++;
                vm = start(argv, log);
            }
            exited = vm.waitFor(limitSeconds, TimeUnit.SECONDS);
        } finally {
            kill(vm);
        }
        long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        String console = Files.readString(log, StandardCharsets.UTF_8);
        Files.createDirectories(keptConsole.toAbsolutePath().getParent());
        Files.writeString(keptConsole, console, StandardCharsets.UTF_8);
        return new Run(exited, wallMs, attempt, console, keptConsole.toAbsolutePath());
    }

    private static Process start(List<String> argv, Path log) throws IOException {
        return new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Kills qemu by the PID of the process we started, if it still runs. */
    private static void kill(Process vm) throws InterruptedException {
        if (vm.isAlive()) {
            vm.destroyForcibly();
            vm.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Whether the guest's init said {@code BOOTED} within the boot limit. */
    private static boolean awaitBoot(Process vm, Path log) throws IOException, InterruptedException {
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOOT_LIMIT_SECONDS);
        while (System.nanoTime() - deadlineNs < 0) {
            if (Files.readString(log, StandardCharsets.ISO_8859_1).contains("HASTQ BOOTED")) {
                return true;
            }
            if (vm.waitFor(500, TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        return false;
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

    private byte[] initramfs(Path modulesDir, List<String> modules, Map<String, String> files, String script,
                             long scriptSeconds) throws IOException {
        StringBuilder insmods = new StringBuilder();
        for (String module : modules) {
            String base = module.substring(module.lastIndexOf('/') + 1);
            insmods.append("insmod /mods/").append(base)
                    .append(base.startsWith("nbd.") ? " nbds_max=" + nbdDevices : "")
                    .append(" || echo \"HASTQ INSMOD-FAILED ").append(base).append("\"\n");
        }
        // /run gets a tmpfs of its own: the host's is on the read-only 9p root and daemons
        // write their sockets and pidfiles there. Loopback is up because the JVM's network
        // code (Netty's NetUtil) looks for it; there is no other interface.
        String init = """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                exec >/dev/console 2>&1
                echo "HASTQ BOOTED $(cut -d' ' -f1 /proc/uptime)"
                %s
                mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host \
                  || echo "HASTQ 9P-FAILED"
                ifconfig lo 127.0.0.1 up
                mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
                mount -t tmpfs -o size=512m tmp /host/tmp; mount -t tmpfs -o size=16m run /host/run
                cp /hastq/* /host/tmp/
                echo "HASTQ MODULES-LOADED $(ls /sys/block | grep -c nbd) nbd devices t=$(cut -d' ' -f1 /proc/uptime)"
                export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
                timeout %d chroot /host /bin/sh /tmp/%s
                echo "HASTQ GUEST-EXIT $? t=$(cut -d' ' -f1 /proc/uptime)"
                sync
                poweroff -f
                """.formatted(insmods, scriptSeconds, script);
        Cpio cpio = new Cpio();
        for (String dir : List.of("bin", "dev", "proc", "sys", "mods", "host", "hastq")) {
            cpio.directory(dir);
        }
        cpio.charDevice("dev/console", 5, 1);
        cpio.file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
        cpio.file("init", init.getBytes(StandardCharsets.UTF_8), 0755);
        for (Map.Entry<String, String> file : files.entrySet()) {
            cpio.file("hastq/" + file.getKey(), file.getValue().getBytes(StandardCharsets.UTF_8), 0755);
        }
        for (String module : modules) {
            cpio.file("mods/" + module.substring(module.lastIndexOf('/') + 1),
                    Files.readAllBytes(modulesDir.resolve(module)), 0644);
        }
        return cpio.finish();
    }

    /** {@code HASTQ KEY rest} lines; a repeated key keeps its last value. */
    public static Map<String, String> facts(String console) {
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

    /** The class path of the running test JVM, absolute (the guest sees the host's paths). */
    public static String absoluteTestClassPath() {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> absolute = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            absolute.add(Paths.get(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, absolute);
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
