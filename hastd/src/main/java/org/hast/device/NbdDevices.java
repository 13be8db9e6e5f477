package org.hast.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What sysfs, /dev and /proc say about the kernel's NBD devices. The three roots are injected
 * so that tests run against a fake tree; the kernel itself is never imitated.
 *
 * <p>sysfs facts relied on (linux:drivers/block/nbd.c, 6.1): {@code /sys/block/nbdN/size} is
 * the capacity in 512-byte sectors and is 0 while the device is not configured;
 * {@code /sys/block/nbdN/pid} exists only while a task sits in NBD_DO_IT and holds that
 * task's id, which is a thread id, not necessarily a process id.
 */
final class NbdDevices {
    private static final Pattern NBD_NAME = Pattern.compile("nbd(0|[1-9][0-9]{0,5})");

    private final Path sysBlock;
    private final Path devRoot;
    private final Path procRoot;

    NbdDevices(Path sysRoot, Path devRoot, Path procRoot) {
        this.sysBlock = sysRoot.resolve("block");
        this.devRoot = devRoot;
        this.procRoot = procRoot;
    }

    static NbdDevices system() {
        return new NbdDevices(Paths.get("/sys"), Paths.get("/dev"), Paths.get("/proc"));
    }

    /** Whether these are this machine's devices (and not a test's fake tree). */
    boolean isSystem() {
        return sysBlock.equals(Paths.get("/sys/block"));
    }

    /** {@code <dev>/nbdN}. */
    Path devicePath(int index) {
        return devRoot.resolve("nbd" + index);
    }

    /** The device index of a symlink target {@code <dev>/nbdN}, or empty for anything else. */
    OptionalInt indexOf(Path target) {
        Path name = target.getFileName();
        if (name == null || !devRoot.equals(target.toAbsolutePath().normalize().getParent())) {
            return OptionalInt.empty();
        }
        Matcher m = NBD_NAME.matcher(name.toString());
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /** Indexes of the NBD devices sysfs knows, ascending. */
    List<Integer> indexes() throws IOException {
        List<Integer> found = new ArrayList<>();
        if (!Files.isDirectory(sysBlock)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(sysBlock, "nbd*")) {
            for (Path entry : entries) {
                Matcher m = NBD_NAME.matcher(entry.getFileName().toString());
                if (m.matches()) {
                    found.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        found.sort(null);
        return found;
    }

    /**
     * Free: no task in DO_IT (no {@code pid} file), size 0 (nobody half-way through setting it
     * up) and a device node to open. A device that looks free may still be claimed by another
     * task at the same moment; NBD_SET_SOCK then fails with EBUSY and the caller tries the next.
     */
    boolean isFree(int index) throws IOException {
        Path dir = sysBlock.resolve("nbd" + index);
        return !Files.exists(dir.resolve("pid")) && sizeSectors(index) == 0 && Files.exists(devicePath(index));
    }

    /** The devices that look free, ascending. */
    List<Integer> freeIndexes() throws IOException {
        List<Integer> free = new ArrayList<>();
        for (int index : indexes()) {
            if (isFree(index)) {
                free.add(index);
            }
        }
        return free;
    }

    /** {@code /sys/block/nbdN/size}: capacity in 512-byte sectors; -1 when the device is gone. */
    long sizeSectors(int index) throws IOException {
        String text = readOrNull(sysBlock.resolve("nbd" + index).resolve("size"));
        if (text == null) {
            return -1;
        }
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IOException("unexpected contents of /sys/block/nbd" + index + "/size: '" + text.strip() + "'");
        }
    }

    /** The id of the task in DO_IT on {@code nbdN}, or empty when nobody is. */
    OptionalLong doItTask(int index) throws IOException {
        String text = readOrNull(sysBlock.resolve("nbd" + index).resolve("pid"));
        if (text == null || text.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            throw new IOException("unexpected contents of /sys/block/nbd" + index + "/pid: '" + text.strip() + "'");
        }
    }

    /**
     * {@code /sys/block/nbdN/backend}: the identifier a netlink connect gave the device (Linux
     * 5.18 and later), or null when the kernel or the device has none.
     */
    String backend(int index) throws IOException {
        String text = readOrNull(sysBlock.resolve("nbd" + index).resolve("backend"));
        return text == null || text.isBlank() ? null : text.strip();
    }

    /**
     * The process a task id belongs to ({@code Tgid:} of {@code /proc/<tid>/status}; a thread's
     * directory is there even though /proc does not list it), or -1 when no such task lives.
     */
    long processOf(long taskId) throws IOException {
        String status = readOrNull(procRoot.resolve(Long.toString(taskId)).resolve("status"));
        if (status == null) {
            return -1;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("Tgid:")) {
                return Long.parseLong(line.substring(5).strip());
            }
        }
        return -1;
    }

    /** {@code /proc/<pid>/cmdline} with NULs as spaces, or "" when the process is gone. */
    String commandLine(long pid) throws IOException {
        String text = readOrNull(procRoot.resolve(Long.toString(pid)).resolve("cmdline"));
        return text == null ? "" : text.replace('\0', ' ').strip();
    }

    /**
     * Caps the request size at {@code kb} KiB through {@code queue/max_sectors_kb}. Optional: a
     * device without the file or a refusal (the value is above the hardware limit, no rights)
     * returns false and the caller just logs it.
     */
    boolean limitRequestSize(int index, int kb) {
        Path file = sysBlock.resolve("nbd" + index).resolve("queue").resolve("max_sectors_kb");
        try {
            if (!Files.exists(file)) {
                return false;
            }
            Files.writeString(file, kb + "\n", StandardCharsets.US_ASCII);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String readOrNull(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
