package org.hast.role;

import org.hast.conf.ResourceConfig;
import org.hast.nv.NvWriter;
import org.hast.worker.WorkerMain;

/** One role's behaviour inside a worker JVM; driven by {@link WorkerMain}'s control loop. */
public interface Worker extends AutoCloseable {
    /** Start-up work that must finish before the worker reports ready. */
    void start() throws WorkerExit;

    /** Appends the status fields of spec §3.3 (without {@code error}). */
    void status(NvWriter reply);

    /** Appends our {@code x_} observability fields of this role (docs/json-status.md). */
    void extendedStatus(NvWriter reply);

    /** Where a synchronisation stands; only a primary synchronises. */
    default SyncProgress syncProgress() {
        return SyncProgress.IDLE;
    }

    /** Local I/O errors so far, all kinds together. */
    long localErrors();

    /** Applies a hot reload (spec §1.9): only the eight reloadable parameters changed. */
    void reload(ResourceConfig updated);

    /**
     * Online verify (docs/integrity.md): {@code action} is one of ControlCodes' VERIFY_*.
     * Returns why it cannot, or null when done.
     */
    default String verify(int action) {
        return "verify runs on the primary";
    }

    @Override
    void close();
}
