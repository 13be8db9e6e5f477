package org.hast.daemon.net;

import java.io.IOException;

import org.hast.sys.FdPassing;
import org.hast.transport.Transport;

import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.SocketChannel;

/**
 * The sending half of a hand-over (decisions §5, spec §3.5 step 6): the main process passes a
 * replication connection it accepted to a worker, then closes its own copy. The descriptor
 * number and the close come from the process's {@link Transport}.
 *
 * <p>Closing is safe for the connection because {@link Transport#release} is {@code close(2)}
 * only: the TCP connection lives on as long as the worker's descriptor refers to it. The socket
 * leaves the selector (epoll set, kqueue) before it is closed (the removal would be impossible
 * afterwards while another process keeps the file open, and the stale entry would wake the
 * main process's loop for traffic that is no longer its own). Never call
 * {@code shutdown()}/{@code shutdownOutput()} on a handed-over channel: {@code shutdown(2)} acts
 * on the connection itself and would end it for the worker too.
 *
 * <p>Bytes Netty already read from the socket stay behind in the main process. Hand over only
 * at a protocol boundary, with auto-read off, as after the §3.5 header: the primary waits for
 * the reply before it sends anything else.
 */
public final class SocketHandoff {
    private SocketHandoff() {
    }

    /**
     * Sends {@code accepted}'s descriptor with {@code data} (at least one byte, e.g. the header
     * the worker needs) over {@code fdChannel} ({@link org.hast.sys.RawUnixSocket}), then closes
     * {@code accepted}. Runs on the channel's event loop, so the channel cannot be closed (and
     * its descriptor number reused) while the descriptor is being sent; for the same reason the
     * send does not wait: a worker whose queue is full fails the hand-over with
     * "Resource temporarily unavailable".
     *
     * <p>On failure {@code accepted} is left open, so the caller can still answer the peer
     * (spec §3.5 step 4) before closing it.
     *
     * @throws IllegalArgumentException when {@code accepted} is not a channel of the process's transport
     * @return completes when the main process's copy is closed
     */
    public static ChannelPromise handOff(SocketChannel accepted, int fdChannel, byte[] data) {
        return handOff(Transport.current(), accepted, fdChannel, data);
    }

    /** As above, with {@code transport} rather than the process's (tests run both in one JVM). */
    public static ChannelPromise handOff(Transport transport, SocketChannel accepted, int fdChannel, byte[] data) {
        int fd = transport.descriptor(accepted);
        ChannelPromise done = accepted.newPromise();
        accepted.eventLoop().execute(() -> {
            if (!accepted.isOpen()) {
                done.setFailure(new IOException("The connection closed before it was handed over"));
                return;
            }
            ChannelOutboundBuffer pending = accepted.unsafe().outboundBuffer();
            if (pending != null && pending.totalPendingWriteBytes() > 0) {
                // Closing would drop them: the caller must wait for its writes first.
                done.setFailure(new IOException("The connection still has " + pending.totalPendingWriteBytes()
                        + " bytes to write; hand it over after they are written"));
                return;
            }
            try {
                FdPassing.sendFdWithoutWaiting(fdChannel, fd, data);
            } catch (IOException e) {
                done.setFailure(e);
                return;
            }
            transport.release(accepted).addListener(closed -> {
                if (closed.isSuccess()) {
                    done.setSuccess();
                } else {
                    done.setFailure(closed.cause());
                }
            });
        });
        return done;
    }
}
