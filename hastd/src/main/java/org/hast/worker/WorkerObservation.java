package org.hast.worker;

import org.hast.nv.NvWriter;

/**
 * What a worker's own events tell about it, for the observability fields: the connection's
 * state and since when, reconnects, split-brains, the last error. Fed from the worker's event
 * path (the same codes the hooks get), so no component needs to report twice.
 */
final class WorkerObservation {
    private static final int EVENT_CONNECT = 1;
    private static final int EVENT_DISCONNECT = 2;
    private static final int EVENT_SPLIT_BRAIN = 6;

    private final long startedMillis;
    private boolean connected;
    private long connectionSinceMillis;
    private long connects;
    private long splitBrains;
    private String lastError = "";
    private long lastErrorMillis;

    WorkerObservation(long startedMillis) {
        this.startedMillis = startedMillis;
        this.connectionSinceMillis = startedMillis;
    }

    synchronized void onEvent(int code, long nowMillis) {
        switch (code) {
            case EVENT_CONNECT -> {
                connected = true;
                connectionSinceMillis = nowMillis;
                connects++;
            }
            case EVENT_DISCONNECT -> {
                connected = false;
                connectionSinceMillis = nowMillis;
            }
            case EVENT_SPLIT_BRAIN -> {
                splitBrains++;
                error("split-brain", nowMillis);
            }
            default -> {
            }
        }
    }

    synchronized void error(String what, long nowMillis) {
        lastError = what;
        lastErrorMillis = nowMillis;
    }

    synchronized void addTo(NvWriter reply) {
        reply.addUint64("x_worker_start", startedMillis);
        reply.addString("x_connection", connected ? "up" : "down");
        reply.addUint64("x_connection_since", connectionSinceMillis);
        // The first connect is not a reconnect.
        reply.addUint64("x_reconnects", Math.max(0, connects - 1));
        reply.addUint64("x_split_brains", splitBrains);
        if (!lastError.isEmpty()) {
            reply.addString("x_last_error", lastError);
            reply.addUint64("x_last_error_time", lastErrorMillis);
        }
    }
}
