package org.hast.daemon;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import org.hast.conf.ResourceConfig;
import org.hast.control.ControlCodes;
import org.hast.daemon.supervision.WorkerHandle;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resource's part of a status reply (spec §2.8): what the main loop knew when the request
 * came, and the worker's answer, which may come later. The main loop only takes the snapshot
 * and sends the query; the reply is written once every worker answered or ran out of time, so
 * one silent worker costs its own resource an error (A12) and nobody else any waiting.
 */
final class StatusReply {
    private static final Logger LOG = LoggerFactory.getLogger(StatusReply.class);
    private static final int ETIMEDOUT = 110;
    private static final String[] WORKER_FIELDS_U64 = {
        "stat_read", "stat_write", "stat_delete", "stat_flush", "stat_activemap_update",
        "stat_read_error", "stat_write_error", "stat_delete_error", "stat_flush_error",
        "idle_queue_size", "local_queue_size", "send_queue_size", "recv_queue_size", "done_queue_size",
    };

    private final String name;
    /** Null for a name that is not configured. */
    private final ResourceConfig config;
    private final String tag;
    private final String role;
    private final long workerPid;
    private final WorkerHandle worker;
    /** The worker's answer; null without a worker. Never completes exceptionally (see {@link #settled}). */
    private final CompletableFuture<NvMessage> answer;
    private final long limitSeconds;
    private final int restarts;
    private volatile Throwable failure;

    private StatusReply(String name, ResourceSlot slot, CompletableFuture<NvMessage> query, Duration limit) {
        this.name = name;
        this.limitSeconds = limit.toSeconds();
        this.config = slot == null ? null : slot.config;
        this.tag = slot == null ? "" : slot.tag();
        this.role = slot == null ? null : slot.role.displayName();
        this.workerPid = slot == null ? 0 : slot.workerPid();
        this.worker = slot == null ? null : slot.worker;
        this.restarts = slot == null ? 0 : slot.restarts;
        this.answer = query == null ? null : query.exceptionally(cause -> {
            failure = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
            return null;
        });
    }

    /** On the main loop: the slot as it is now, and the worker asked (answer within {@code limit}). */
    static StatusReply ask(String name, ResourceSlot slot, Duration limit) {
        if (slot == null || slot.worker == null) {
            return new StatusReply(name, slot, null, limit);
        }
        return new StatusReply(name, slot, slot.worker.status(limit), limit);
    }

    /** Completes once the worker answered, failed or ran out of time; at once without a worker. */
    CompletableFuture<?> settled() {
        return answer == null ? CompletableFuture.completedFuture(null) : answer;
    }

    /**
     * Appends this resource's fields with index {@code index}; only after {@link #settled()}.
     * {@code extended}: also the worker's {@code x_} fields and ours (docs/json-status.md).
     */
    void writeTo(NvWriter reply, int index, boolean extended) {
        reply.addString("resource" + index, name);
        if (config == null) {
            reply.addInt16("error" + index, ControlCodes.EHAST_NOENTRY);
            return;
        }
        reply.addString("provname" + index, config.providerName());
        reply.addString("localpath" + index, config.localPath());
        reply.addString("remoteaddr" + index, config.remoteAddress());
        if (config.hasSource()) {
            reply.addString("sourceaddr" + index, config.sourceAddress());
        }
        reply.addString("replication" + index, config.replication().word());
        reply.addString("checksum" + index, config.checksum().wireName());
        reply.addString("compression" + index, config.compression().wireName());
        reply.addString("role" + index, role);
        reply.addInt32("workerpid" + index, (int) workerPid);
        if (extended) {
            reply.addUint32("x_restarts" + index, restarts);
        }
        if (answer == null) {
            return;
        }
        NvMessage fields = answer.join();
        if (fields == null) {
            Throwable cause = failure;
            if (goneRatherThanSilent(worker.process().isAlive(), cause)) {
                LOG.debug("{}No status from an exiting worker: {}.", tag, String.valueOf(cause));
                return;
            }
            // A12: one resource's silent worker is that resource's error, not the whole reply's.
            LOG.error("{}Unable to get status from the worker: no answer within {} s", tag, limitSeconds);
            reply.addInt16("error" + index, ETIMEDOUT);
            if (extended) {
                reply.addString("x_last_error" + index, "worker status timed out");
            }
            return;
        }
        int error = fields.getInt16("error");
        if (error != 0) {
            reply.addInt16("error" + index, error);
            return;
        }
        String status = fields.getString("status");
        reply.addString("status" + index, status == null ? "unknown" : status);
        reply.addUint64("dirty" + index, fields.getUint64("dirty"));
        reply.addUint32("extentsize" + index, fields.getUint32("extentsize"));
        reply.addUint32("keepdirty" + index, fields.getUint32("keepdirty"));
        for (String field : WORKER_FIELDS_U64) {
            reply.addUint64(field + index, fields.getUint64(field));
        }
        if (extended) {
            copyExtended(fields, reply, index);
        }
    }

    /**
     * Whether a worker that did not answer is reported as absent, as if it had exited, rather
     * than with an error: it died while asked, or its channel broke (a worker on its way out,
     * whose exit the main loop is handling). Only a live worker that let the time pass is
     * silent (A12): a broken channel reported as ETIMEDOUT left "hastctl list" without a role
     * for a failover script (KeepalivedFailoverIT, at load 25).
     */
    static boolean goneRatherThanSilent(boolean alive, Throwable cause) {
        return !alive || !(cause instanceof TimeoutException);
    }

    /**
     * The worker's {@code x_} fields and the primary's integrity fields ({@code verify_*},
     * {@code syncmode}, {@code syncrate*}, docs/integrity.md), renamed with the resource's index.
     */
    static void copyExtended(NvMessage fields, NvWriter reply, int index) {
        for (int i = 0; i < fields.size(); i++) {
            String field = fields.nameAt(i);
            if (field.startsWith("x_") || field.startsWith("verify_") || field.startsWith("syncrate")
                    || field.equals("syncmode")) {
                reply.addRaw(fields.typeAt(i), field + index, fields.payloadAt(i));
            }
        }
    }
}
