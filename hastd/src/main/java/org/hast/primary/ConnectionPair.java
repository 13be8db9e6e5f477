package org.hast.primary;

import io.netty.channel.Channel;

/**
 * The two replication connections after a handshake (spec §4.2): requests go out on
 * {@code out}, replies come back on {@code in}; {@code version} is the negotiated protocol,
 * {@code capabilities} the extensions both sides offered ({@link org.hast.proto.Capabilities}).
 */
public record ConnectionPair(Channel out, Channel in, int version, int capabilities) {
    /** A pair with none of our extensions, as with a FreeBSD peer. */
    public ConnectionPair(Channel out, Channel in, int version) {
        this(out, in, version, 0);
    }

    public boolean has(int capability) {
        return (capabilities & capability) == capability;
    }

    public boolean active() {
        return out.isActive() && in.isActive();
    }
}
