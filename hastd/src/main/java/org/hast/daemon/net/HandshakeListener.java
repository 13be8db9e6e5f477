package org.hast.daemon.net;

import java.net.InetSocketAddress;

import org.hast.nv.NvMessage;

import io.netty.channel.socket.SocketChannel;

/** The main process's side of an incoming replication connection (spec §3.5). */
public interface HandshakeListener {
    /** Whether any resource's {@code remote} is this peer (step 2); false closes silently. */
    boolean isKnownPeer(InetSocketAddress peer);

    /** The connection's first message, with auto-read off; the listener answers or hands it over. */
    void onHeader(SocketChannel channel, InetSocketAddress peer, int frameVersion, NvMessage header);
}
