package org.hast.block;

import java.io.IOException;
import java.nio.file.Path;
import org.hast.device.FuseLoopBridge;
import org.hast.device.KernelNbdBridge;

/**
 * Turns the primary's NBD export into a kernel block device and {@code <devdir>/<providerName>}
 * (decisions §3, §4). The primary worker serves the resource on a Unix socket first, then
 * attaches a bridge; on the way out it detaches it, or aborts it when it is dying and the
 * export may no longer answer.
 *
 * <p>Implementations: {@link FuseLoopBridge} (nbdfuse + loop device) attaches to the export
 * socket; {@link KernelNbdBridge} serves the backend in-process and needs no socket (it says so
 * with {@link #servesBackendDirectly()}), as does {@code GgateBridge} (FreeBSD). Nothing here assumes how the
 * device is made. A caller that holds the backend does:
 * <pre>
 *   if (bridge.servesBackendDirectly()) bridge.attach(name, backend, name);
 *   else bridge.attach(name, exportSocket, name, backend.size());
 * </pre>
 *
 * <p>A bridge holds one attachment at a time and may attach again after a detach. Calls may
 * come from any thread.
 */
public interface DeviceBridge extends AutoCloseable {

    /**
     * Creates the block device for the export and the symlink (or node)
     * {@code <devdir>/<providerName>}. Returns once the device is usable and has
     * {@code sizeBytes} bytes. On failure everything made so far is undone before the
     * exception leaves.
     *
     * @param providerName the resource's {@code name} (one path component)
     * @param socket       the export's Unix socket
     * @param exportName   the NBD export name the server answers to (the resource name)
     * @param sizeBytes    the size the export must announce
     */
    void attach(String providerName, Path socket, String exportName, long sizeBytes) throws IOException;

    /**
     * True when this bridge serves {@code backend} itself ({@link #attach(String, BlockBackend,
     * String)}) and needs no export socket; the socket-path attach may then be unsupported.
     */
    default boolean servesBackendDirectly() {
        return false;
    }

    /**
     * As {@link #attach(String, Path, String, long)}, but serving {@code backend} in this
     * process, for bridges where {@link #servesBackendDirectly()} is true. The size is the
     * backend's.
     *
     * @throws UnsupportedOperationException for bridges that need an export socket
     */
    default void attach(String providerName, BlockBackend backend, String exportName) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " attaches to an export socket");
    }

    /**
     * Removes {@code <devdir>/<providerName>} first, so no new opener finds it, then the device
     * and whatever supports it. Idempotent, and safe after a failed or partial attach. Every
     * step is tried even when an earlier one fails; the first failure is thrown afterwards.
     */
    void detach() throws IOException;

    /**
     * For a dying worker: fails every request still waiting for the export, so no process stays
     * blocked on the device, then {@link #detach()}es.
     */
    void abort() throws IOException;

    /** {@code <devdir>/<providerName>}, or null before attach. */
    Path devicePath();

    /** Same as {@link #detach()}. */
    @Override
    default void close() throws IOException {
        detach();
    }
}
