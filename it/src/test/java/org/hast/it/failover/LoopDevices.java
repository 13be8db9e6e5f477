package org.hast.it.failover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.hast.testing.Processes;

/** The loop device a crashed node's FUSE bridge leaves bound: nothing of hast unbinds it. */
public final class LoopDevices {
    private LoopDevices() {
    }

    /**
     * Unbinds {@code loop} unless the survivor's promotion already did (its hastd clears stale
     * devices of the same resource name) and the number now serves the survivor
     * ({@code survivorDevice} links to it) or something else: only a device still bound to the
     * resource's FUSE file, or to a file whose mount is gone, is the crashed node's.
     */
    public static void unbindIfDead(Path loop, Path survivorDevice, String resource)
            throws IOException, InterruptedException {
        Path backing = Path.of("/sys/block", loop.getFileName().toString(), "loop", "backing_file");
        if (!Files.exists(backing)
                || (Files.isSymbolicLink(survivorDevice) && loop.equals(Files.readSymbolicLink(survivorDevice)))) {
            return;
        }
        String file = Files.readString(backing).strip();
        if (file.equals("/disk") || file.equals("/run/hast/fuse/" + resource + "/mnt/disk")) {
            Processes.run(List.of("losetup", "-d", loop.toString()), Map.of(), Duration.ofMinutes(1));
        }
    }
}
