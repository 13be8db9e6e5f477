package org.hast.primary;

import io.netty.channel.Channel;

/**
 * The two replication connections after a handshake (spec §4.2): requests go out on
 * {@code out}, replies come back on {@code in}; {@code version} is the negotiated protocol.
 */
public record ConnectionPair(Channel out, Channel in, int version) {
    public boolean active() {
        return out.isActive() && in.isActive();
    }
}
