package org.hast.daemon;

import org.hast.conf.ResourceConfig;
import org.hast.daemon.supervision.WorkerHandle;
import org.hast.proto.Role;

/** One configured resource in the main process: its definition, role and worker (spec §1.3). */
final class ResourceSlot {
    ResourceConfig config;
    Role role = Role.INIT;
    WorkerHandle worker;
    /** The first connection of a primary's pair, waiting for the second (spec §3.5 step 5). */
    io.netty.channel.socket.SocketChannel pendingIn;
    /** The token given to that first connection. */
    byte[] token;
    /** The protocol version last negotiated with the peer; 1 until a primary connects. */
    int protocolVersion = 1;
    /** Workers restarted after a crash since hastd started (metrics). */
    volatile int restarts;

    ResourceSlot(ResourceConfig config) {
        this.config = config;
    }

    String name() {
        return config.name();
    }

    /** The log prefix the reference's parent uses for a resource: {@code [name] (role) }. */
    String tag() {
        return "[" + config.name() + "] (" + role.displayName() + ") ";
    }

    long workerPid() {
        return worker == null ? 0 : worker.pid();
    }
}
