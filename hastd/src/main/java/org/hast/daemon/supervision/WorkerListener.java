package org.hast.daemon.supervision;

/** What the main process hears from a worker; called on the worker's reader thread. */
public interface WorkerListener {
    /** The worker emitted event {@code code} (spec §9.1); it waits for {@link WorkerHandle#ackEvent}. */
    void onEvent(WorkerHandle worker, int code);

    /** The worker sent a notice for the events stream ({@code notice}: its kind); not acknowledged. */
    default void onNotice(WorkerHandle worker, org.hast.nv.NvMessage notice) {
    }

    /** The worker's channel broke or delivered garbage; its process exit follows. */
    void onChannelLost(WorkerHandle worker, String reason);
}
