package org.hast.daemon;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.hast.control.ControlCodes;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers hastctl's requests (spec §2.8) on the main loop: set role, status, and our
 * {@code stop}. The reply layout is the reference's, field for field, so FreeBSD's hastctl can
 * talk to this daemon and ours to FreeBSD's.
 */
final class ControlRequests {
    private static final Logger LOG = LoggerFactory.getLogger(ControlRequests.class);
    /** How long a status query waits for a worker (a starting JVM included). */
    static final Duration WORKER_STATUS_LIMIT = Duration.ofSeconds(20);
    private static final int ETIMEDOUT = 110;
    private static final String[] WORKER_FIELDS_U64 = {
        "stat_read", "stat_write", "stat_delete", "stat_flush", "stat_activemap_update",
        "stat_read_error", "stat_write_error", "stat_delete_error", "stat_flush_error",
        "idle_queue_size", "local_queue_size", "send_queue_size", "recv_queue_size", "done_queue_size",
    };

    private final Resources resources;
    private final Runnable stopDaemon;

    ControlRequests(Resources resources, Runnable stopDaemon) {
        this.resources = resources;
        this.stopDaemon = stopDaemon;
    }

    /** The reply, or null to close the connection without one (a request without {@code cmd}). */
    NvWriter handle(NvMessage request) {
        int cmd = request.getUint8("cmd");
        if (cmd == 0) {
            LOG.error("Control header is missing 'cmd' field.");
            return null;
        }
        NvWriter reply = new NvWriter();
        if (cmd == ControlCodes.CMD_STOP) {
            LOG.info("Stop requested by hastctl.");
            stopDaemon.run();
            return reply;
        }
        String first = request.getString("resource0");
        if (first == null) {
            LOG.error("Control header is missing 'resource0' field.");
            return reply.addInt16("error", ControlCodes.EHAST_INVALID);
        }
        Role role = null;
        if (cmd == ControlCodes.CMD_SETROLE) {
            int code = request.getUint8("role");
            role = Role.fromCode(code);
            if (role == Role.UNDEF) {
                LOG.error("Invalid role received ({}).", code);
                return reply.addInt16("error", ControlCodes.EHAST_INVALID);
            }
        }
        List<String> names = new ArrayList<>();
        if (first.equals("all")) {
            for (ResourceSlot slot : resources.slots()) {
                names.add(slot.name());
            }
        } else {
            for (int i = 0; ; i++) {
                String name = request.getString("resource" + i);
                if (name == null) {
                    break;
                }
                names.add(name);
            }
        }
        for (int i = 0; i < names.size(); i++) {
            switch (cmd) {
                case ControlCodes.CMD_SETROLE -> setRole(reply, role, names.get(i), i);
                case ControlCodes.CMD_STATUS -> status(reply, names.get(i), i);
                default -> {
                    LOG.error("Invalid command received ({}).", cmd);
                    return reply.addInt16("error", ControlCodes.EHAST_UNIMPLEMENTED);
                }
            }
        }
        return reply;
    }

    private void setRole(NvWriter reply, Role role, String name, int index) {
        reply.addString("resource" + index, name);
        ResourceSlot slot = resources.find(name).orElse(null);
        if (slot == null) {
            reply.addInt16("error" + index, ControlCodes.EHAST_NOENTRY);
            return;
        }
        reply.addString("role" + index, slot.role.displayName());
        resources.changeRole(slot, role);
    }

    private void status(NvWriter reply, String name, int index) {
        reply.addString("resource" + index, name);
        ResourceSlot slot = resources.find(name).orElse(null);
        if (slot == null) {
            reply.addInt16("error" + index, ControlCodes.EHAST_NOENTRY);
            return;
        }
        var config = slot.config;
        reply.addString("provname" + index, config.providerName());
        reply.addString("localpath" + index, config.localPath());
        reply.addString("remoteaddr" + index, config.remoteAddress());
        if (config.hasSource()) {
            reply.addString("sourceaddr" + index, config.sourceAddress());
        }
        reply.addString("replication" + index, config.replication().word());
        reply.addString("checksum" + index, config.checksum().wireName());
        reply.addString("compression" + index, config.compression().wireName());
        reply.addString("role" + index, slot.role.displayName());
        reply.addInt32("workerpid" + index, (int) slot.workerPid());
        if (slot.worker == null) {
            return;
        }
        NvMessage worker;
        try {
            NvWriter query = new NvWriter().addUint8("cmd", WorkerProtocol.CONTROL_STATUS);
            worker = slot.worker.call(query, WORKER_STATUS_LIMIT);
        } catch (IOException e) {
            if (!slot.worker.process().isAlive()) {
                // It died while we asked; its exit is being handled: report it as absent.
                return;
            }
            // A12: one resource's silent worker is that resource's error, not the whole reply's.
            LOG.error("{}Unable to get status from the worker: {}", slot.tag(), e.getMessage());
            reply.addInt16("error" + index, ETIMEDOUT);
            return;
        }
        int error = worker.getInt16("error");
        if (error != 0) {
            reply.addInt16("error" + index, error);
            return;
        }
        String status = worker.getString("status");
        reply.addString("status" + index, status == null ? "unknown" : status);
        reply.addUint64("dirty" + index, worker.getUint64("dirty"));
        reply.addUint32("extentsize" + index, worker.getUint32("extentsize"));
        reply.addUint32("keepdirty" + index, worker.getUint32("keepdirty"));
        for (String field : WORKER_FIELDS_U64) {
            reply.addUint64(field + index, worker.getUint64(field));
        }
    }
}
