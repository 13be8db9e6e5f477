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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel state the FUSE + loop bridge reads and changes: mounts from /proc/self/mountinfo, FUSE
 * connections under fusectl, loop devices under /sys/block. Nothing here stats a path inside a
 * FUSE mount: with a stalled server that could block, and these helpers are what unblocks it.
 */
final class FuseLoopSystem {
    private static final Logger LOG = LoggerFactory.getLogger(FuseLoopSystem.class);
    static final Path FUSECTL_DIR = Paths.get("/sys/fs/fuse/connections");
    private static final Path MOUNTINFO = Paths.get("/proc/self/mountinfo");
    private static final Path SYS_BLOCK = Paths.get("/sys/block");
    static final long TOOL_TIMEOUT_MILLIS = 10_000;

    /** One line of mountinfo, the fields we need. */
    record Mount(int major, int minor, Path mountPoint, String fsType) {
        /**
         * The name of the connection's directory under fusectl: the kernel prints its own
         * dev_t encoding (major << 20 | minor), not the one stat(2) returns.
         */
        long fuseConnectionId() {
            return ((long) major << 20) | minor;
        }

        boolean isFuse() {
            return fsType.equals("fuse") || fsType.startsWith("fuse.");
        }
    }

    private FuseLoopSystem() {
    }

    /** The mount whose mount point is exactly {@code mountPoint} (the top one), or null. */
    static Mount findMount(Path mountPoint) throws IOException {
        Mount found = null;
        String wanted = mountPoint.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            Mount mount = parseMountInfoLine(line);
            if (mount != null && mount.mountPoint().toString().equals(wanted)) {
                found = mount; // later lines are mounted on top of earlier ones
            }
        }
        return found;
    }

    /**
     * {@code 42 27 0:39 / /mnt rw,nosuid - fuse /dev/fuse rw,...}: field 3 is major:minor, field
     * 5 the mount point (octal escapes for space, tab, newline, backslash); the file system type
     * follows the lone "-" separator. Returns null for a line it cannot read.
     */
    static Mount parseMountInfoLine(String line) {
        String[] fields = line.split(" ");
        if (fields.length < 7) {
            return null;
        }
        int separator = -1;
        for (int i = 6; i < fields.length; i++) {
            if (fields[i].equals("-")) {
                separator = i;
                break;
            }
        }
        if (separator < 0 || separator + 1 >= fields.length) {
            return null;
        }
        String[] device = fields[2].split(":");
        if (device.length != 2) {
            return null;
        }
        try {
            return new Mount(Integer.parseInt(device[0]), Integer.parseInt(device[1]),
                    Paths.get(unescapeOctal(fields[4])), fields[separator + 1]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String unescapeOctal(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1, 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from, int count) {
        if (from + count > s.length()) {
            return false;
        }
        for (int i = from; i < from + count; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    /**
     * Aborts FUSE connection {@code id}: every request waiting on it fails (ECONNABORTED, EIO
     * for the loop device's I/O) at once. Mounts fusectl first when needed; Debian does not
     * mount it by default (feasibility.md, experiment 2). Returns false when the connection is
     * already gone.
     */
    static boolean abortFuseConnection(long id) throws IOException {
        Path connection = FUSECTL_DIR.resolve(Long.toString(id));
        if (!Files.isDirectory(connection)) {
            Mount fusectl = findMount(FUSECTL_DIR);
            if (fusectl == null || !fusectl.fsType().equals("fusectl")) {
                ToolRunner.check(TOOL_TIMEOUT_MILLIS,
                        List.of("mount", "-t", "fusectl", "fusectl", FUSECTL_DIR.toString()));
                LOG.info("Mounted fusectl on {} to reach FUSE connection {}.", FUSECTL_DIR, id);
            }
        }
        Path abort = connection.resolve("abort");
        try {
            Files.writeString(abort, "1");
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** The file behind {@code /dev/loopN}, or null when the device is not bound (or absent). */
    static String loopBackingFile(String loopDevice) throws IOException {
        String name = Paths.get(loopDevice).getFileName().toString();
        Path backing = SYS_BLOCK.resolve(name).resolve("loop").resolve("backing_file");
        try {
            return Files.readString(backing, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Every bound loop device ({@code /dev/loopN}) whose backing file lies under {@code dir}. */
    static List<String> loopDevicesBackedUnder(Path dir) throws IOException {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> blocks = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
            for (Path block : blocks) {
                String device = "/dev/" + block.getFileName();
                String backing = loopBackingFile(device);
                if (backing != null && backing.startsWith(prefix)) {
                    found.add(device);
                }
            }
        }
        return found;
    }

    /**
     * {@code losetup -d}, only while the device is still bound to a file under {@code ownDir}:
     * once unbound, its number can be handed to someone else. An unbound device is not an error.
     */
    static void detachLoop(String loopDevice, Path ownDir) throws IOException {
        String backing = loopBackingFile(loopDevice);
        if (backing == null) {
            return;
        }
        if (!backing.startsWith(ownDir.toAbsolutePath().normalize() + "/")) {
            LOG.warn("{} is now bound to {}, not under {}; left alone.", loopDevice, backing, ownDir);
            return;
        }
        ToolRunner.Result result = ToolRunner.run(TOOL_TIMEOUT_MILLIS, List.of("losetup", "-d", loopDevice));
        // The kernel unbinds a device still open elsewhere when its last user closes it
        // (autoclear) and losetup then succeeds; an error here is real.
        if (!result.ok() && loopBackingFile(loopDevice) != null) {
            throw new IOException(result.failureLine());
        }
    }

    /**
     * Unmounts the FUSE file system at {@code mountPoint}: {@code fusermount3 -u} (or
     * {@code umount}), and lazily when it is still busy, e.g. a loop device someone still holds
     * open keeps the file open. Nothing mounted there is not an error.
     */
    static void unmountFuse(Path mountPoint) throws IOException {
        Mount mount = findMount(mountPoint);
        if (mount == null || !mount.isFuse()) {
            return;
        }
        boolean fusermount = onPath("fusermount3");
        List<String> plain = fusermount
                ? List.of("fusermount3", "-u", mountPoint.toString())
                : List.of("umount", mountPoint.toString());
        ToolRunner.Result result = ToolRunner.run(TOOL_TIMEOUT_MILLIS, plain);
        if (result.ok() || findMount(mountPoint) == null) {
            return;
        }
        List<String> lazy = fusermount
                ? List.of("fusermount3", "-u", "-z", mountPoint.toString())
                : List.of("umount", "-l", mountPoint.toString());
        LOG.warn("{}; unmounting {} lazily.", result.failureLine(), mountPoint);
        ToolRunner.check(TOOL_TIMEOUT_MILLIS, lazy);
    }

    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
