package org.hast.daemon;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers hastctl's requests (spec §2.8) on the main loop: set role, status, and our
 * {@code stop}. The reply layout is the reference's, field for field, so FreeBSD's hastctl can
 * talk to this daemon and ours to FreeBSD's. Role changes are answered on the loop; a status
 * request only asks the workers there, all at once, and its reply is written when they have
 * answered, each within its own limit, so the loop never waits for a worker.
 */
final class ControlRequests {
    private static final Logger LOG = LoggerFactory.getLogger(ControlRequests.class);
    /** How long a status query waits for a worker (a starting JVM included). */
    static final Duration WORKER_STATUS_LIMIT = WorkerStatusLimit.current();

    private final Resources resources;
    private final Consumer<NvWriter> stopDaemon;

    /** {@code stopDaemon} is given the reply to {@code hastctl stop}, which must go out first. */
    ControlRequests(Resources resources, Consumer<NvWriter> stopDaemon) {
        this.resources = resources;
        this.stopDaemon = stopDaemon;
    }

    /**
     * The reply, or a null one to close the connection without one (a request without
     * {@code cmd}). Called on the main loop; a status reply completes later, off it.
     */
    CompletableFuture<NvWriter> handle(NvMessage request) {
        int cmd = request.getUint8("cmd");
        if (cmd == 0) {
            LOG.error("Control header is missing 'cmd' field.");
            return CompletableFuture.completedFuture(null);
        }
        NvWriter reply = new NvWriter();
        if (cmd == ControlCodes.CMD_STOP) {
            LOG.info("Stop requested by hastctl.");
            stopDaemon.accept(reply);
            return CompletableFuture.completedFuture(reply);
        }
        String first = request.getString("resource0");
        if (first == null) {
            LOG.error("Control header is missing 'resource0' field.");
            return CompletableFuture.completedFuture(reply.addInt16("error", ControlCodes.EHAST_INVALID));
        }
        Role role = null;
        if (cmd == ControlCodes.CMD_SETROLE) {
            int code = request.getUint8("role");
            role = Role.fromCode(code);
            if (role == Role.UNDEF) {
                LOG.error("Invalid role received ({}).", code);
                return CompletableFuture.completedFuture(reply.addInt16("error", ControlCodes.EHAST_INVALID));
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
        switch (cmd) {
            case ControlCodes.CMD_SETROLE -> {
                for (int i = 0; i < names.size(); i++) {
                    setRole(reply, role, names.get(i), i);
                }
                return CompletableFuture.completedFuture(reply);
            }
            case ControlCodes.CMD_STATUS -> {
                return status(reply, names, request.getUint8(ControlCodes.STATUS_EXTENDED) == 1);
            }
            case ControlCodes.CMD_VERIFY -> {
                return VerifyRequests.forward(resources, reply, names, request.getUint8("verify"));
            }
            default -> {
                // Found while going through the resources, as the reference does: none, no error.
                if (!names.isEmpty()) {
                    LOG.error("Invalid command received ({}).", cmd);
                    reply.addInt16("error", ControlCodes.EHAST_UNIMPLEMENTED);
                }
                return CompletableFuture.completedFuture(reply);
            }
        }
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

    private CompletableFuture<NvWriter> status(NvWriter reply, List<String> names, boolean extended) {
        List<StatusReply> parts = new ArrayList<>(names.size());
        CompletableFuture<?>[] settled = new CompletableFuture<?>[names.size()];
        for (int i = 0; i < names.size(); i++) {
            StatusReply part = StatusReply.ask(names.get(i), resources.find(names.get(i)).orElse(null),
                    WORKER_STATUS_LIMIT);
            parts.add(part);
            settled[i] = part.settled();
        }
        return CompletableFuture.allOf(settled).thenApply(all -> {
            for (int i = 0; i < parts.size(); i++) {
                parts.get(i).writeTo(reply, i, extended);
            }
            return reply;
        });
    }
}
