package org.hast.device.nbd;

import java.net.SocketAddress;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;

/**
 * The transmission phase on its own: what follows a successful GO or EXPORT_NAME, and all
 * that the Linux kernel's {@code /dev/nbdN} speaks on a socketpair after a userspace
 * handshake (shared/spec/nbd.md, "Linux kernel client specifics").
 *
 * <p>For the kernel bridge: wrap the server end of the socketpair in an
 * {@code EpollDomainSocketChannel(fd)}, give it {@link #initializer} as its handler and
 * register it with an epoll event loop; the kernel's requests are then served from the first
 * byte.
 */
public final class NbdTransmission {
    /** Pipeline names of the two handlers. */
    public static final String DECODER = "nbd-request-decoder";
    public static final String HANDLER = "nbd-transmission";

    private NbdTransmission() {
    }

    /**
     * Unread replies beyond the high mark stop reading from the client until they drain below
     * the low one (netty's defaults, 32/64 KiB, would toggle on every large READ reply).
     */
    static final WriteBufferWaterMark REPLY_WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);

    /**
     * The channel's reads and replies come from Netty's pooled allocator (one arena of 1 MiB
     * chunks in a worker, docs/memory.md). The adaptive allocator, the channels' default, sees
     * a worker's small heap and direct cap as "low memory" and then pools nothing above 16 KiB:
     * every 64 KiB read buffer of a busy client was a fresh direct buffer the JVM zeroed, 5 % of
     * the primary's event loop under 4 KiB writes at queue depth 32 (perf, issue #15).
     * {@code -Dhast.nbd.pooledReads=false} gives the channels their default allocator again, for
     * A/B runs (bench/README.md): the quiet ones so far were inconclusive either way.
     */
    static final ByteBufAllocator ALLOCATOR = Boolean.parseBoolean(System.getProperty("hast.nbd.pooledReads", "true"))
            ? PooledByteBufAllocator.DEFAULT : ByteBufAllocator.DEFAULT;

    /**
     * Appends the request decoder and the transmission handler to {@code pipeline}, before the
     * channel's first read (a channel that starts in transmission).
     */
    public static void addLast(ChannelPipeline pipeline, NbdExport export) {
        NbdTransmissionHandler handler = new NbdTransmissionHandler(export);
        configure(pipeline.channel());
        NbdRequestDecoder.lendReadsOf(pipeline.channel());
        pipeline.addLast(DECODER, handler.decoder());
        pipeline.addLast(HANDLER, handler);
    }

    /**
     * Inserts them right after {@code baseName} (the handshake handler, which then leaves); the
     * server lent the channel's reads when it accepted it ({@link NbdServer}).
     */
    static void addAfter(ChannelPipeline pipeline, String baseName, NbdExport export) {
        NbdTransmissionHandler handler = new NbdTransmissionHandler(export);
        configure(pipeline.channel());
        pipeline.addAfter(baseName, DECODER, handler.decoder());
        pipeline.addAfter(DECODER, HANDLER, handler);
    }

    private static void configure(Channel channel) {
        channel.config().setWriteBufferWaterMark(REPLY_WATER_MARK);
        channel.config().setAllocator(ALLOCATOR);
    }

    /** A channel initializer that starts the channel directly in transmission. */
    public static ChannelInitializer<Channel> initializer(NbdExport export) {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                addLast(channel.pipeline(), export);
            }
        };
    }

    /** The peer for log lines: its address on TCP, the channel id on a Unix socket. */
    static String peer(Channel channel) {
        SocketAddress remote = channel.remoteAddress();
        if (remote == null || (remote instanceof DomainSocketAddress
                && ((DomainSocketAddress) remote).path().isEmpty())
                || (remote instanceof java.net.UnixDomainSocketAddress unix && unix.getPath().toString().isEmpty())) {
            return "uds/" + channel.id().asShortText();
        }
        return remote.toString();
    }
}
