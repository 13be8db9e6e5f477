package org.hast.daemon;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.hast.control.ControlCodes;
import org.hast.daemon.channel.WorkerProtocol;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;

/**
 * {@code hastctl verify} (our extension, docs/integrity.md): relayed to each named resource's
 * primary worker, whose answer (started, stopped, or why not) goes back per resource. Asked on
 * the main loop, answered when the workers have, as a status request is.
 */
final class VerifyRequests {
    private VerifyRequests() {
    }

    static CompletableFuture<NvWriter> forward(Resources resources, NvWriter reply, List<String> names, int action) {
        if (action < ControlCodes.VERIFY_START || action > ControlCodes.VERIFY_STOP) {
            return CompletableFuture.completedFuture(reply.addInt16("error", ControlCodes.EHAST_INVALID));
        }
        @SuppressWarnings("unchecked")
        CompletableFuture<String>[] answers = new CompletableFuture[names.size()];
        boolean[] known = new boolean[names.size()];
        for (int i = 0; i < names.size(); i++) {
            ResourceSlot slot = resources.find(names.get(i)).orElse(null);
            known[i] = slot != null;
            if (slot == null) {
                answers[i] = CompletableFuture.completedFuture(null);
            } else if (slot.role != Role.PRIMARY || slot.worker == null) {
                answers[i] = CompletableFuture.completedFuture("the resource is " + slot.role.displayName()
                        + " here; verify runs on the primary");
            } else {
                NvWriter request = new NvWriter().addUint8("cmd", WorkerProtocol.CONTROL_VERIFY)
                        .addUint8("verify", action);
                answers[i] = slot.worker.request(request)
                        .orTimeout(ControlRequests.WORKER_STATUS_LIMIT.toSeconds(), TimeUnit.SECONDS)
                        .thenApply(VerifyRequests::refusal)
                        .exceptionally(cause -> "the worker did not answer: " + cause.getMessage());
            }
        }
        return CompletableFuture.allOf(answers).thenApply(all -> {
            for (int i = 0; i < names.size(); i++) {
                reply.addString("resource" + i, names.get(i));
                if (!known[i]) {
                    reply.addInt16("error" + i, ControlCodes.EHAST_NOENTRY);
                    continue;
                }
                String refused = answers[i].join();
                if (refused != null) {
                    reply.addInt16("error" + i, ControlCodes.EHAST_INVALID);
                    reply.addString("verifyerr" + i, refused);
                }
            }
            return reply;
        });
    }

    private static String refusal(NvMessage answer) {
        if (answer.getInt16("error") != 0) {
            return "the worker refused the request (error " + answer.getInt16("error") + ")";
        }
        return answer.getString("verifyerr");
    }
}
