package org.hast.secondary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.conf.ResourceConfig;
import org.hast.link.AdoptedSocket;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.link.KeepalivePeriod;
import org.hast.link.OutgoingFrame;
import org.hast.daemon.process.FatalThreads;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.nv.NvWriter;
import org.hast.proto.Capabilities;
import org.hast.proto.HandshakeParams;
import org.hast.link.HastFrame;
import org.hast.daemon.net.LinkTls;
import org.hast.daemon.net.SecondHeaderConfirmation;
import io.netty.handler.ssl.SslContext;
import org.hast.proto.PayloadFields;
import org.hast.proto.SyncDecision;
import org.hast.util.SysExits;
import org.hast.local.LocalComponent;
import org.hast.local.OpenedComponent;
import org.hast.local.StaleExtentsFile;
import org.hast.role.Worker;
import org.hast.role.WorkerExit;
import org.hast.role.WorkerStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.hast.transport.Transport;

/**
 * The secondary worker (spec §3.7, §4.3, §8, §11.7): answers the primary's handshake with its
 * sizes, counters, sync direction and bitmap, then applies the primary's requests to the local
 * component and replies. Any link failure ends it with {@code EX_TEMPFAIL} after a
 * {@code disconnect} event; the next primary connection starts a new one.
 */
public final class SecondaryWorker implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(SecondaryWorker.class);
    /** MAXPHYS: the largest request accepted from a peer (decisions §1). */
    static final int MAX_REQUEST_BYTES = Capabilities.LARGE_REQUEST_BYTES;
    private static final int EVENT_CONNECT = 1;
    private static final int EVENT_DISCONNECT = 2;
    private static final int EVENT_SPLIT_BRAIN = 6;

    private static final String CONFIRMATION = "confirmation";
    private static final String CONFIRMATION_DECODER = "confirmation-decoder";

    /** What the primary said in the second header, relayed by the main process. */
    public record PrimaryHello(int version, long resuid, long localCnt, long remoteCnt, boolean virgin,
            int capabilities) {
        /** A primary that offered none of our extensions. */
        public PrimaryHello(int version, long resuid, long localCnt, long remoteCnt, boolean virgin) {
            this(version, resuid, localCnt, remoteCnt, virgin, 0);
        }
    }

    private final ResourceConfig config;
    private final PrimaryHello hello;
    private final int inFd;
    private final int outFd;
    private final IntConsumer events;
    private final WorkerStats stats = new WorkerStats();
    /** One loop for both connections: reads requests, writes replies, never waits for the disk. */
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            FatalThreads.eventLoops("secondary-net"), Transport.current().ioHandlerFactory());
    private final DiskQueue queue = new DiskQueue();
    private LocalComponent local;
    private SecondaryDisk disk;
    private volatile boolean ending;
    private final java.nio.file.Path statedir;

    public SecondaryWorker(ResourceConfig config, PrimaryHello hello, int inFd, int outFd,
                           java.nio.file.Path statedir, IntConsumer events) {
        this.config = config;
        this.statedir = statedir;
        this.hello = hello;
        this.inFd = inFd;
        this.outFd = outFd;
        this.events = events;
    }

    @Override
    public void start() throws WorkerExit {
        OpenedComponent opened = OpenedComponent.open(config.localPath(), config.name(), config.localIo());
        local = opened.local();
        Metadata metadata = opened.metadata();
        PayloadCodec codec = new PayloadCodec(config.compression(), config.checksum());
        SslContext tls = tlsContext();
        FirstFrame confirmation = new FirstFrame();
        Channel out = adopt(outFd, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(HastFrameEncoder.INSTANCE);
                if (tls != null) {
                    channel.pipeline().addFirst(LinkTls.HANDLER, LinkTls.newHandler(channel, tls,
                            config.timeoutSeconds()));
                    channel.pipeline().addLast(CONFIRMATION_DECODER, new HastFrameDecoder(64 * 1024, 0))
                            .addLast(CONFIRMATION, confirmation);
                }
            }
        });
        long mapBytes = metadata.localOff() - MetadataCodec.METADATA_SIZE;
        disk = new SecondaryDisk(queue, local, metadata.localOff(),
                () -> new PayloadCodec(config.compression(), config.checksum()), stats, out, hello.version(),
                MAX_REQUEST_BYTES, this::linkFailed);
        SyncDecision decision = SyncDecision.decide(metadata.resUid(), metadata.localCnt(), metadata.remoteCnt(),
                hello.resuid(), hello.localCnt(), hello.remoteCnt(), hello.virgin());
        long dataSize = metadata.dataSize();
        int sectorSize = local.geometry().sectorSize();
        Channel in = adopt(inFd, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.config().setAutoRead(false);
                if (tls != null) {
                    channel.pipeline().addFirst(LinkTls.HANDLER, LinkTls.newHandler(channel, tls,
                            config.timeoutSeconds()));
                }
                channel.pipeline()
                        // 2 × HAST_KEEPALIVE: a primary silent for this long is gone (spec §4.8).
                        .addLast(new ReceiveTimeout(KeepalivePeriod.silenceLimitSeconds(), queue::paused))
                        .addLast(new HastFrameDecoder(64 * 1024, MAX_REQUEST_BYTES + 1024))
                        .addLast(HastFrameEncoder.INSTANCE)
                        .addLast(new RequestReceiver(queue, stats, out, hello.version(), dataSize, sectorSize,
                                MAX_REQUEST_BYTES, SecondaryWorker.this::linkFailed));
            }
        });
        queue.setReceiveChannel(in);
        if (tls != null) {
            confirmTls(in, out, confirmation);
        }
        HandshakeParams reply = decision.reply(dataSize, metadata.extentSize(), metadata.localCnt(),
                metadata.remoteCnt(), mapBytes);
        if (decision.isRefusal()) {
            send(in, reply, 0, null, codec);
            if (decision.kind() == SyncDecision.Kind.SPLIT_BRAIN) {
                LOG.error("Split-brain detected, exiting.");
                events.accept(EVENT_SPLIT_BRAIN);
            } else {
                LOG.error(decision.errmsg());
            }
            throw new WorkerExit(SysExits.EX_CONFIG, "Refused the primary: " + decision.errmsg());
        }
        if (decision.neverHappens()) {
            LOG.warn("This should never happen: primary localcnt={} remotecnt={}, secondary localcnt={} "
                    + "remotecnt={}; synchronising everything.", hello.localCnt(), hello.remoteCnt(),
                    metadata.localCnt(), metadata.remoteCnt());
        }
        if (decision.kind() == SyncDecision.Kind.ADOPT_UID) {
            try {
                metadata = UidAdoption.adopt(local, metadata, hello.resuid(),
                        decision.bitmap() == SyncDecision.Bitmap.ALL_ONES, new StaleExtentsFile(statedir, config.name()));
            } catch (IOException e) {
                throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to write metadata: " + e.getMessage() + ".");
            }
        }
        ByteBuffer bitmap = null;
        switch (decision.bitmap()) {
            case ON_DISK -> {
                bitmap = ByteBuffer.allocate((int) mapBytes);
                try {
                    local.readFully(bitmap, MetadataCodec.METADATA_SIZE);
                } catch (IOException e) {
                    throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to read activemap: " + e.getMessage() + ".");
                }
                bitmap.flip();
            }
            case ALL_ONES -> {
                byte[] ones = new byte[(int) mapBytes];
                java.util.Arrays.fill(ones, (byte) 0xff);
                bitmap = ByteBuffer.wrap(ones);
            }
            default -> { }
        }
        if (bitmap != null) {
            addStaleExtents(bitmap, metadata, decision.kind() == SyncDecision.Kind.ADOPT_UID);
        }
        int ours = (config.integrity().offersHashes() ? Capabilities.HASHES : 0) | Capabilities.LARGE_REQUESTS;
        int capabilities = hello.capabilities() & ours;
        if ((capabilities & Capabilities.HASHES) != 0) {
            disk.enableHashes();
        }
        send(in, reply, capabilities, bitmap, codec);
        FatalThreads.start("disk", disk);
        LOG.info("Connected to the primary (protocol version {}, sync source {}).", hello.version(),
                decision.syncSrc());
        events.accept(EVENT_CONNECT);
        try {
            in.config().setAutoRead(true);
        } catch (RuntimeException e) {
            // The primary left during the handshake; linkFailed() is already ending the worker.
            throw new WorkerExit(SysExits.EX_TEMPFAIL, "The primary left during the handshake.");
        }
    }

    /**
     * A10 after a role change: extents this node left stale as primary go to the new primary as
     * dirty, so it overwrites them with its copy; the file goes once that merge is done (the
     * first request, as for the bitmap). A file of another resource UID is dropped by the load.
     */
    private void addStaleExtents(ByteBuffer bitmap, Metadata metadata, boolean adopting) throws WorkerExit {
        StaleExtentsFile file = new StaleExtentsFile(statedir, config.name());
        int extentCount = (int) ((metadata.dataSize() + metadata.extentSize() - 1) / metadata.extentSize());
        StaleExtentsFile.Loaded loaded;
        try {
            loaded = file.load(metadata.resUid(), metadata.extentSize(), extentCount);
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_NOINPUT, "Unable to load the stale extents: " + e.getMessage()
                    + "; remove it only if this node's data of the resource is known to be current.");
        }
        if (loaded.ignoredWhy() != null) {
            LOG.warn("Ignored {}: {}.", file.path(), loaded.ignoredWhy());
        }
        if (loaded.extents().isEmpty()) {
            return;
        }
        loaded.extents().stream().forEach(e -> bitmap.put(bitmap.position() + e / 8,
                (byte) (bitmap.get(bitmap.position() + e / 8) | (1 << (e % 8)))));
        if (!adopting) { // at adoption the file is UidAdoption's record of the full sync just asked for
            LOG.warn("{} extents of the local copy are older than the primary's (a local write failed here, or "
                    + "this node's first synchronisation was interrupted); they are sent as dirty.",
                    loaded.extents().cardinality());
        }
        disk.afterBitmapCleared(() -> {
            try {
                file.remove();
            } catch (IOException e) {
                LOG.error("Unable to remove {}: {}.", file.path(), e.getMessage());
            }
        });
    }

    /** The TLS context when {@code tlscert}/{@code tlskey}/{@code tlsca} are set, else null. */
    private SslContext tlsContext() throws WorkerExit {
        if (!config.linkSecurity().hasTls()) {
            return null;
        }
        try {
            return LinkTls.context(config.linkSecurity(), false);
        } catch (IOException e) {
            throw new WorkerExit(SysExits.EX_CONFIG, "Unable to set up TLS: " + e.getMessage());
        }
    }

    /**
     * Both TLS handshakes (the primary's outgoing connection first), then the primary's second
     * header repeated inside TLS must equal what the main process relayed from the clear one.
     */
    private void confirmTls(Channel in, Channel out, FirstFrame confirmation) throws WorkerExit {
        try {
            LinkTls.awaitHandshake(in, config.remoteAddress());
            LinkTls.awaitHandshake(out, config.remoteAddress());
        } catch (IOException e) {
            LOG.error("Unable to connect to the primary: {}.", e.getMessage());
            throw new WorkerExit(SysExits.EX_TEMPFAIL, e.getMessage());
        }
        HastFrame frame = confirmation.take(config.timeoutSeconds());
        if (frame == null) {
            throw new WorkerExit(SysExits.EX_TEMPFAIL, "The primary did not confirm its header inside TLS.");
        }
        try {
            String mismatch = SecondHeaderConfirmation.mismatch(frame.nv(), config.name(), hello.version(),
                    hello.resuid(), hello.localCnt(), hello.remoteCnt(), hello.virgin(), hello.capabilities());
            if (mismatch != null) {
                LOG.error("Refusing the primary: {}.", mismatch);
                throw new WorkerExit(SysExits.EX_TEMPFAIL, "Refused the primary: " + mismatch);
            }
        } finally {
            frame.release();
        }
        out.pipeline().remove(CONFIRMATION);
        out.pipeline().remove(CONFIRMATION_DECODER);
    }

    private Channel adopt(int fd, ChannelInitializer<Channel> initializer) throws WorkerExit {
        try {
            return AdoptedSocket.adopt(fd, group, initializer).syncUninterruptibly().channel();
        } catch (IOException | RuntimeException e) {
            throw new WorkerExit(SysExits.EX_TEMPFAIL, "Unable to use the replication connection: " + e.getMessage());
        }
    }

    /**
     * Sends the handshake reply. A primary that leaves meanwhile is a lost link (EX_TEMPFAIL, as
     * anywhere else), not a dying thread.
     */
    private static void send(Channel in, HandshakeParams reply, int capabilities, ByteBuffer bitmap,
            PayloadCodec codec) throws WorkerExit {
        // Our capabilities before the payload fields: a primary that offered none gets none.
        NvWriter nv = Capabilities.offer(reply.toNv(), capabilities);
        OutgoingFrame frame;
        if (bitmap == null) {
            frame = new OutgoingFrame(2, nv);
        } else {
            ByteBuffer scratch = ByteBuffer.allocate(bitmap.remaining());
            EncodedPayload encoded = codec.encode(bitmap, scratch);
            PayloadFields.append(nv, encoded);
            frame = new OutgoingFrame(2, nv, Unpooled.wrappedBuffer(encoded.payload()));
        }
        io.netty.channel.ChannelFuture sent = in.writeAndFlush(frame).awaitUninterruptibly();
        if (!sent.isSuccess()) {
            throw new WorkerExit(SysExits.EX_TEMPFAIL, "Unable to send the handshake reply to the primary: "
                    + sent.cause() + ".");
        }
    }

    /** The link is gone (spec §4.7): {@code disconnect}, then exit EX_TEMPFAIL. */
    private void linkFailed() {
        if (ending) {
            return;
        }
        ending = true;
        FatalThreads.start("link-failed", () -> {
            events.accept(EVENT_DISCONNECT);
            close();
            System.exit(SysExits.EX_TEMPFAIL);
        });
    }

    @Override
    public void status(NvWriter reply) {
        reply.addString("status", "complete");
        reply.addUint32("extentsize", 0);
        reply.addUint32("keepdirty", 0);
        reply.addUint64("dirty", 0);
        stats.addTo(reply);
        reply.addUint64("idle_queue_size", DiskQueue.CAPACITY - queue.queued());
        reply.addUint64("local_queue_size", queue.queued());
        reply.addUint64("send_queue_size", 0);
    }

    @Override
    public void extendedStatus(NvWriter reply) {
        reply.addUint8("x_proto_version", hello.version());
        stats.addExtendedTo(reply);
        reply.addUint64("x_inflight", queue.queued());
    }

    @Override
    public long localErrors() {
        return stats.localErrors();
    }

    @Override
    public void reload(ResourceConfig updated) {
        // A secondary is restarted on any change (spec §1.9); nothing to apply live.
    }

    @Override
    public void close() {
        ending = true;
        if (disk != null) {
            disk.stop();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        queue.drain();
        if (local != null) {
            local.close();
        }
    }
}
