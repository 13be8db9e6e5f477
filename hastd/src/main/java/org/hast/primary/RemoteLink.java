package org.hast.primary;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import org.hast.codec.CodecException;
import org.hast.codec.PayloadCodec;
import org.hast.conf.AddressException;
import org.hast.conf.HastAddress;
import org.hast.conf.IntegrityConfig;
import org.hast.conf.ResourceConfig;
import org.hast.link.HastFrame;
import org.hast.link.HastFrameDecoder;
import org.hast.link.HastFrameEncoder;
import org.hast.link.KeepalivePeriod;
import org.hast.daemon.net.LinkTls;
import org.hast.daemon.net.SecondHeaderConfirmation;
import org.hast.nv.NvWriter;
import org.hast.link.OutgoingFrame;
import org.hast.daemon.process.FatalThreads;
import org.hast.proto.HandshakeError;
import org.hast.proto.HandshakeFirst;
import org.hast.proto.HandshakeFirstReply;
import org.hast.proto.HandshakeParams;
import org.hast.proto.Capabilities;
import org.hast.proto.HandshakeSecond;
import org.hast.proto.HandshakeTokenReply;
import org.hast.proto.LinkAuth;
import org.hast.proto.PayloadFields;
import org.hast.proto.ProtocolException;
import org.hast.proto.RequestHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.hast.transport.Transport;
import io.netty.handler.ssl.SslContext;

/**
 * The primary's two connections to the secondary (spec §3.6, §4.2–§4.3, §4.8): connects,
 * performs the handshake, merges the secondary's bitmap, sends a keepalive every 10 s and
 * reconnects every 10 s after a failure ({@link ReconnectPeriod}). The worker connects by itself: the reference asks its
 * parent because of its sandbox, which a JVM worker does not have.
 *
 * <p>The I/O path ({@link PrimaryPipeline}) is handed the connection pair once the handshake
 * is done, and {@link org.hast.sync.SyncLoop} then copies what is dirty.
 */
public final class RemoteLink {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteLink.class);
    /** {@code HAST_KEEPALIVE}: the reconnect period (keepalives: {@link KeepalivePeriod}). */
    static final int KEEPALIVE_SECONDS = 10;
    private static final int EVENT_CONNECT = 1;
    private static final int EVENT_DISCONNECT = 2;
    private static final int EVENT_SPLIT_BRAIN = 6;

    /** What the link needs from the worker: counters and the map, kept by {@link PrimaryWorker}. */
    public interface Resource {
        long dataSize();

        int extentSize();

        /** The resource UID, generated and persisted first if still 0; reports whether it was. */
        long resUid(boolean[] generated) throws IOException;

        long localCnt();

        long remoteCnt();

        /** Handshake step 4 and sync completion: counters changed, persist them. */
        void setCounters(long localCnt, long remoteCnt) throws IOException;

        /** OR the secondary's bitmap in and write the merged one to disk (§7.6). */
        void mergeBitmap(ByteBuffer peer) throws IOException;

        long dirtyBytes();

        /**
         * The handshake is done: requests may use the pair ({@code link.in} has no reader yet)
         * and synchronisation starts (A26: after every connect).
         */
        void linkUp(ConnectionPair link, HandshakeParams params);

        /** Either connection is gone: requests in flight fail over to the rules of §7.4. */
        void linkDown();
    }

    /** The resource's definition; a reload replaces it ({@link #reconfigure}). */
    private volatile ResourceConfig config;
    /** What the next handshake offers (docs/integrity.md); a reload changes it. */
    private volatile IntegrityConfig integrity;
    private final Resource resource;
    private final IntConsumer events;
    /** The worker's (WorkerLoops): shared with the export, so replies complete requests without a hand-off. */
    private final EventLoopGroup group;
    private volatile ScheduledFuture<?> reconnects;
    private volatile Channel out;
    private volatile Channel in;
    private volatile int version = 1;
    private volatile boolean stopped;
    /** Both connections up and the handshake done: what "complete" means (spec §2.5). */
    private volatile boolean established;
    private ScheduledFuture<?> keepalive;
    private boolean firstAttempt = true;
    /** How long a handshake waits for the secondary's worker (guarded by this). */
    private final SecondaryAnswerWait answerWait = new SecondaryAnswerWait();

    /** The peer answered "still primary" with {@code wait} (spec §3.5, §3.7). */
    private static final class PeerStillPrimary extends IOException {
        PeerStillPrimary(String message) {
            super(message);
        }
    }

    /** {@code group}: the loop of both connections, owned by the caller (not shut down by {@link #stop}). */
    public RemoteLink(ResourceConfig config, Resource resource, IntConsumer events, EventLoopGroup group) {
        this.config = config;
        this.group = group;
        this.integrity = config.integrity();
        this.resource = resource;
        this.events = events;
    }

    /**
     * SIGHUP on a primary (spec §1.9): the next connections go to {@code updated}'s remote
     * address, from its source address, with its timeout, offering its integrity settings.
     * When the address, the source or the offer changes while connected, both connections are
     * dropped and made again at once (the offer is negotiated anew); a timeout alone applies to
     * the live connections through the reply timeout, which the caller sets.
     */
    public void reconfigure(ResourceConfig updated) {
        ResourceConfig old = config;
        boolean moved = !sameAddresses(old, updated);
        boolean offerChanged = updated.integrity().offersHashes() != integrity.offersHashes();
        config = updated;
        integrity = updated.integrity();
        if ((moved || offerChanged) && connected()) {
            if (moved) {
                LOG.info("Remote address changed; reconnecting to {}.", updated.remoteAddress());
            } else {
                LOG.info("Integrity offer changed; reconnecting to {} to negotiate it.", updated.remoteAddress());
            }
            reconnectNow();
        }
    }

    private static boolean sameAddresses(ResourceConfig a, ResourceConfig b) {
        return a.remoteAddress().equals(b.remoteAddress()) && a.sourceAddress().equals(b.sourceAddress());
    }

    private void reconnectNow() {
        closeBoth();
        // After the close's own listeners (linkLost) have run on this loop.
        group.schedule(this::guard, 100, TimeUnit.MILLISECONDS);
    }

    /** The protocol version negotiated by the last handshake (1 before the first). */
    public int version() {
        return version;
    }

    public boolean connected() {
        Channel o = out;
        Channel i = in;
        return established && o != null && i != null && o.isActive() && i.isActive();
    }

    /** Starts connecting (now, then every 10 s while not connected: {@link ReconnectPeriod}). */
    public void start() {
        int period = KEEPALIVE_SECONDS;
        try {
            period = ReconnectPeriod.seconds(System.getenv(ReconnectPeriod.VARIABLE));
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignored {}; reconnecting every {} s.", e.getMessage(), period);
        }
        reconnects = group.scheduleWithFixedDelay(this::guard, 0, period, TimeUnit.SECONDS);
    }

    private void guard() {
        if (stopped || connected() || connecting) {
            return;
        }
        connecting = true;
        FatalThreads.start("connect", () -> {
            try {
                connectOnce();
            } finally {
                connecting = false;
            }
        });
    }

    private volatile boolean connecting;

    private synchronized void connectOnce() {
        if (stopped || connected()) {
            return;
        }
        ResourceConfig used = config;
        String remote = used.remoteAddress();
        boolean first = firstAttempt;
        firstAttempt = false;
        try {
            handshake(remote);
            if (!sameAddresses(used, config)) {
                LOG.info("Remote address changed while connecting; reconnecting to {}.", config.remoteAddress());
                reconnectNow();
            }
        } catch (PeerStillPrimary e) {
            LOG.warn("Unable to connect to {}: {}", remote, sentence(e.getMessage()));
            closeBoth();
            if (first) {
                waitForSecondary(remote);
            }
        } catch (IOException | ProtocolException | CodecException e) {
            LOG.warn("Unable to connect to {}: {}", remote, sentence(e.getMessage()));
            closeBoth();
        }
    }

    /**
     * Start-up only (spec §3.7): the other node is still primary, so retry every second for
     * {@code timeout} seconds, then go on alone. Unlike the reference, a connection made in this
     * loop is a full connect, synchronisation included (A26).
     */
    private void waitForSecondary(String remote) {
        int timeout = config.timeoutSeconds();
        LOG.warn("Waiting for remote node to become secondary for {}s.", timeout);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        while (!stopped && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1000);
                handshake(remote);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | ProtocolException | CodecException e) {
                closeBoth();
                if (!(e instanceof PeerStillPrimary)) {
                    LOG.warn("Unable to connect to {}: {}", remote, sentence(e.getMessage()));
                    return;
                }
            }
        }
        LOG.warn("Remote node is still primary, starting anyway.");
    }

    private Channel connect(String remote, FrameInbox inbox) throws IOException {
        InetSocketAddress target;
        InetSocketAddress source = null;
        try {
            target = HastAddress.parse(remote, HastAddress.DEFAULT_PORT).toSocketAddress();
            if (config.hasSource()) {
                source = HastAddress.parse(config.sourceAddress(), HastAddress.SOURCE_DEFAULT_PORT).toSocketAddress();
            }
        } catch (AddressException e) {
            throw new IOException(e.getMessage(), e);
        }
        Bootstrap bootstrap = new Bootstrap().group(group).channelFactory(Transport.current()::newSocketChannel)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.timeoutSeconds() * 1000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        // Payloads: the secondary's bitmap in the handshake, then READ replies of up
                        // to MAXPHYS (1 MiB with a secondary of ours: synchronisation from it), plus
                        // slack for a compressed payload that grew.
                        long bitmapBytes = resource.dataSize() / resource.extentSize() / 8;
                        long maxPayload = Math.max(bitmapBytes, Capabilities.LARGE_REQUEST_BYTES) + 64 * 1024;
                        channel.pipeline()
                                .addLast(new HastFrameDecoder(64 * 1024, (int) Math.min(Integer.MAX_VALUE - 8,
                                        maxPayload)))
                                .addLast(HastFrameEncoder.INSTANCE)
                                .addLast(inbox);
                    }
                });
        ChannelFuture future = source == null ? bootstrap.connect(target) : bootstrap.connect(target, source);
        future.awaitUninterruptibly();
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            throw new IOException(cause.getMessage() == null ? cause.toString() : cause.getMessage());
        }
        return future.channel();
    }

    private void handshake(String remote) throws IOException, ProtocolException, CodecException {
        int timeout = config.timeoutSeconds();
        FrameInbox outInbox = new FrameInbox();
        Channel first = connect(remote, outInbox);
        out = first;
        authenticate(first, outInbox, LinkAuth.CONN_OUT);
        NvWriter header = HandshakeFirst.of(config.name()).toNv();
        if (config.linkSecurity().hasTls()) {
            // Tells the secondary's main process that TLS follows; a plain node ignores it.
            header.addUint8(LinkTls.FIELD_TLS, 1);
        }
        first.writeAndFlush(new OutgoingFrame(version, header)).syncUninterruptibly();
        HandshakeTokenReply token;
        HastFrame reply = outInbox.take(timeout);
        try {
            HandshakeFirstReply decoded = HandshakeFirstReply.fromNv(reply.nv());
            if (decoded instanceof HandshakeError error) {
                throw error.shouldWait() ? new PeerStillPrimary(error.errmsg()) : new IOException(error.errmsg());
            }
            token = (HandshakeTokenReply) decoded;
        } finally {
            reply.release();
        }
        version = token.version();
        LOG.debug("Negotiated protocol version {}.", version);
        boolean[] generated = new boolean[1];
        long resuid = resource.resUid(generated);
        FrameInbox inInbox = new FrameInbox();
        Channel second = connect(remote, inInbox);
        in = second;
        authenticate(second, inInbox, LinkAuth.CONN_IN);
        HandshakeSecond hello = new HandshakeSecond(config.name(), token.token(), generated[0], resuid,
                resource.localCnt(), resource.remoteCnt());
        int offered = (integrity.offersHashes() ? Capabilities.HASHES : 0) | Capabilities.ALWAYS_OFFERED;
        second.writeAndFlush(new OutgoingFrame(version, Capabilities.offer(hello.toNv(), offered)))
                .syncUninterruptibly();
        HastFrame paramsFrame = awaitAnswer(first, second, hello, offered, outInbox);
        HandshakeParams params;
        int capabilities;
        try {
            params = HandshakeParams.fromNv(paramsFrame.nv());
            capabilities = offered & Capabilities.read(paramsFrame.nv());
            if (params.isRefused()) {
                if (params.isSplitBrain()) {
                    events.accept(EVENT_SPLIT_BRAIN);
                }
                throw new IOException(params.errmsg());
            }
            if (params.dataSize() != resource.dataSize()) {
                throw new IOException("Data size differs between nodes (local=" + resource.dataSize()
                        + ", remote=" + params.dataSize() + ")");
            }
            if (params.extentSize() != resource.extentSize()) {
                throw new IOException("Extent size differs between nodes (local=" + resource.extentSize()
                        + ", remote=" + params.extentSize() + ")");
            }
            if (params.virgin() && resource.localCnt() == 0) {
                resource.setCounters(1, resource.remoteCnt());
            }
            if (params.mapSize() > 0) {
                PayloadFields fields = PayloadFields.fromNv(paramsFrame.nv());
                ByteBuffer decoded = ByteBuffer.allocate((int) params.mapSize());
                ByteBuffer bitmap = new PayloadCodec().decode(fields.compression(), fields.checksum(),
                        fields.hash(), paramsFrame.payload().nioBuffer(), decoded);
                resource.mergeBitmap(bitmap);
            }
        } finally {
            paramsFrame.release();
        }
        LOG.info("Connected to {}.", remote);
        // Before linkUp, which starts the sync: hooks hear connect before syncstart (spec §9.1).
        events.accept(EVENT_CONNECT);
        // From here on replies are read by the I/O path, not by the handshake's inbox; the
        // secondary sends nothing on the outgoing connection, and whatever it might is released
        // at the pipeline's tail instead of piling up in an inbox nobody reads (issue #20).
        second.pipeline().remove(inInbox);
        first.pipeline().remove(outInbox);
        first.pipeline().addLast(WriteFailureCloser.INSTANCE);
        resource.linkUp(new ConnectionPair(first, second, version, capabilities), params);
        second.closeFuture().addListener(f -> linkLost());
        first.closeFuture().addListener(f -> linkLost());
        established = true;
        int period = KeepalivePeriod.current();
        keepalive = group.scheduleAtFixedRate(this::sendKeepalive, period, period, TimeUnit.SECONDS);
    }

    /**
     * The secondary's answer to the second header, from the worker its main process starts now:
     * TLS first when configured, then the parameters frame (the caller releases it). The wait
     * grows while that worker starts slower than it ({@link SecondaryAnswerWait}).
     */
    private HastFrame awaitAnswer(Channel first, Channel second, HandshakeSecond hello, int offered,
                                  FrameInbox outInbox) throws IOException {
        int timeout = config.timeoutSeconds();
        int wait = answerWait.seconds(timeout);
        long asked = System.nanoTime();
        HastFrame answer;
        try {
            boolean tls = config.linkSecurity().hasTls();
            if (tls) {
                startTls(first, second, hello, offered, wait);
            }
            // After TLS the worker is up (it did the handshake): the parameters come within timeout.
            answer = outInbox.take(tls ? timeout : wait);
        } catch (IOException e) {
            int next = answerWait.unanswered(timeout, wait, System.nanoTime() - asked);
            if (next > wait) {
                LOG.info("The secondary did not answer within {} s (its worker may still be starting); the next"
                        + " attempt waits up to {} s.", wait, next);
            }
            throw e;
        }
        answerWait.answered();
        return answer;
    }

    /**
     * TLS on both connections, then the second header again inside it, so a change to the
     * clear one on the way is noticed by the secondary. The outgoing connection first: the
     * secondary's worker owns both sockets once that handshake is done, so nothing sent on the
     * incoming one can be read by the main process before the hand-over (it would be lost).
     * {@code waitSeconds}: the first handshake waits for the secondary's worker to start.
     */
    private void startTls(Channel first, Channel second, HandshakeSecond hello, int offered, int waitSeconds)
            throws IOException {
        SslContext context = LinkTls.context(config.linkSecurity(), true);
        String remote = config.remoteAddress();
        LinkTls.handshake(first, context, remote, waitSeconds);
        LinkTls.handshake(second, context, remote, config.timeoutSeconds());
        NvWriter confirm = SecondHeaderConfirmation.of(hello, version, offered);
        second.writeAndFlush(new OutgoingFrame(version, confirm)).syncUninterruptibly();
    }

    /** With {@code secret} configured: the mutual challenge before anything else on the connection. */
    private void authenticate(Channel channel, FrameInbox inbox, int conn) throws IOException, ProtocolException {
        if (config.linkSecurity().hasSecret()) {
            AuthInitiator.authenticate(channel, inbox, config.name(), config.linkSecurity().secret(), conn,
                    config.timeoutSeconds());
        }
    }

    /** A peer's message as a sentence: one full stop, not two after "Split-brain condition!". */
    private static String sentence(String message) {
        String m = String.valueOf(message).strip();
        return m.endsWith(".") || m.endsWith("!") || m.endsWith("?") ? m : m + ".";
    }

    private void sendKeepalive() {
        Channel o = out;
        if (o != null && o.isActive()) {
            o.writeAndFlush(new OutgoingFrame(version, RequestHeader.keepalive().toNv()));
        }
    }

    private void linkLost() {
        established = false;
        // Both connections go before the I/O path fails what is in flight, so nothing new can
        // be written to a half-open pair after that sweep.
        closeBoth();
        resource.linkDown();
        if (keepalive == null) {
            return;
        }
        keepalive.cancel(false);
        keepalive = null;
        if (!stopped) {
            LOG.warn("Disconnected from {}.", config.remoteAddress());
            events.accept(EVENT_DISCONNECT);
        }
    }

    private void closeBoth() {
        Channel o = out;
        Channel i = in;
        if (o != null) {
            o.close();
        }
        if (i != null) {
            i.close();
        }
    }

    public void stop() {
        stopped = true;
        if (reconnects != null) {
            reconnects.cancel(false);
        }
        closeBoth();
    }
}
