package org.hast.worker;

import org.hast.conf.ResourceConfig;
import org.hast.nv.NvWriter;

/** One role's behaviour inside a worker JVM; driven by {@link WorkerMain}'s control loop. */
public interface Worker extends AutoCloseable {
    /** Start-up work that must finish before the worker reports ready. */
    void start() throws WorkerExit;

    /** Appends the status fields of spec §3.3 (without {@code error}). */
    void status(NvWriter reply);

    /** Applies a hot reload (spec §1.9): only the eight reloadable parameters changed. */
    void reload(ResourceConfig updated);

    @Override
    void close();
}
