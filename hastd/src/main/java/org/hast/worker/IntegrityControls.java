package org.hast.worker;

import org.hast.conf.IntegrityConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvWriter;
import org.hast.sync.DirtyMap;
import org.hast.primary.PrimaryPipeline;
import org.hast.primary.VerifyResult;
import org.hast.sync.AdaptiveRate;
import org.hast.sync.SyncLoop;
import org.hast.sync.SyncRate;
import org.hast.primary.VerifyLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's integrity extensions wired together (docs/integrity.md): checksum
 * synchronisation, the sync rate (fixed or adaptive) that paces both synchronisation and
 * online verify, and verify itself with its status fields. A reload (SIGHUP) applies new
 * settings from the next step on.
 */
final class IntegrityControls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IntegrityControls.class);

    private final PrimaryPipeline pipeline;
    private final SyncLoop sync;
    private final VerifyLoop verify;
    /** The settings in force and the adaptive controller (null unless adaptive); set together by {@link #apply}. */
    private volatile IntegrityConfig config;
    private volatile AdaptiveRate adaptive;

    IntegrityControls(IntegrityConfig config, PrimaryPipeline pipeline, DirtyMap dirty, SyncLoop sync) {
        this.pipeline = pipeline;
        this.sync = sync;
        verify = new VerifyLoop(new VerifyLoop.Target() {
            @Override
            public long size() {
                return pipeline.size();
            }

            @Override
            public boolean peerHashes() {
                return pipeline.peerHashes();
            }

            @Override
            public void verifyStep(long offset, int length, VerifyResult done)
                    throws InterruptedException {
                pipeline.verifyStep(offset, length, done);
            }

            @Override
            public boolean syncPending(long offset) {
                return dirty.syncPending(offset);
            }

            @Override
            public void repair(long offset, int length) {
                dirty.needSync(offset, length);
                sync.kick();
            }
        }, SyncRate.unlimited());
        apply(config);
    }

    /** SIGHUP: {@code syncmode} and {@code syncrate} apply to the next synchronisation and verify step. */
    void reload(IntegrityConfig updated) {
        IntegrityConfig old = config;
        if (updated.equals(old)) {
            return;
        }
        apply(updated);
        LOG.info("Integrity settings reloaded: syncmode {}, syncrate {}.", updated.checksumSync() ? "checksum" : "plain",
                updated.adaptiveTargetMs() > 0 ? "adaptive " + updated.adaptiveTargetMs() + " ms"
                        : updated.syncRate() > 0 ? updated.syncRate() + " bytes/s" : "unlimited");
    }

    private void apply(IntegrityConfig c) {
        pipeline.setChecksumSync(c.checksumSync());
        AdaptiveRate current = adaptive;
        AdaptiveRate a = c.adaptiveTargetMs() <= 0 ? null
                : current != null && config.adaptiveTargetMs() == c.adaptiveTargetMs() ? current
                : new AdaptiveRate(c.adaptiveTargetMs(), pipeline.writeLatency(), SyncRate.Clock.SYSTEM);
        long fixed = c.syncRate();
        // One pacer per pacing thread (sync, verify): a pacer keeps the thread's schedule.
        if (a != null) {
            sync.setRate(new SyncRate(a, SyncRate.Clock.SYSTEM));
            verify.setRate(new SyncRate(a::current, SyncRate.Clock.SYSTEM));
        } else {
            sync.setRate(fixed > 0 ? new SyncRate(() -> fixed, SyncRate.Clock.SYSTEM) : SyncRate.unlimited());
            verify.setRate(fixed > 0 ? new SyncRate(() -> fixed, SyncRate.Clock.SYSTEM) : SyncRate.unlimited());
        }
        adaptive = a;
        config = c;
    }

    String verify(int action) {
        return switch (action) {
            case ControlCodes.VERIFY_START -> verify.start(false);
            case ControlCodes.VERIFY_REPAIR -> verify.start(true);
            case ControlCodes.VERIFY_STOP -> verify.stop() ? null : "no verify is running";
            default -> "unknown verify action " + action;
        };
    }

    /** Plain fields for the worker's status reply, after the reference's. */
    void status(NvWriter reply) {
        verify.status(reply);
        IntegrityConfig c = config;
        AdaptiveRate a = adaptive;
        reply.addString("syncmode", c.checksumSync() ? "checksum" : "plain");
        if (a != null) {
            reply.addUint64("syncrate", a.current());
            reply.addUint64("syncrate_latency_us", a.lastMeanNanos() / 1000);
        } else {
            reply.addUint64("syncrate", c.syncRate());
        }
    }

    @Override
    public void close() {
        verify.close();
    }
}
