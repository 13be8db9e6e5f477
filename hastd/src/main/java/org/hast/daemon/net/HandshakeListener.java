package org.hast.daemon.net;

import java.net.InetSocketAddress;

import org.hast.conf.SecretFile;
import org.hast.nv.NvMessage;

import io.netty.channel.socket.SocketChannel;

/** The main process's side of an incoming replication connection (spec §3.5). */
public interface HandshakeListener {
    /** Whether any resource's {@code remote} is this peer (step 2); false closes silently. */
    boolean isKnownPeer(InetSocketAddress peer);

    /** The connection's first message, with auto-read off; the listener answers or hands it over. */
    void onHeader(SocketChannel channel, InetSocketAddress peer, int frameVersion, NvMessage header);

    /**
     * Answer to {@link #secretFor}: the secrets, or the one-line reason for refusing the peer, or
     * neither when the resource has no secret here (the connection is closed without a word, as
     * a plain node closes one whose header names no resource).
     */
    interface SecretAnswer {
        void answer(SecretFile secrets, String refusal);
    }

    /**
     * The secrets of {@code resource} for an authenticating {@code peer}, read from the
     * resource's {@code secret} file; answered on any thread.
     */
    void secretFor(String resource, InetSocketAddress peer, SecretAnswer answer);
}
