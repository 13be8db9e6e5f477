package org.hast.worker;

import org.hast.conf.IntegrityConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvWriter;
import org.hast.sync.DirtyMap;
import org.hast.primary.PrimaryPipeline;
import org.hast.sync.AdaptiveRate;
import org.hast.sync.SyncLoop;
import org.hast.sync.SyncRate;
import org.hast.primary.VerifyLoop;

/**
 * The primary's integrity extensions wired together (docs/integrity.md): checksum
 * synchronisation, the sync rate (fixed or adaptive) that paces both synchronisation and
 * online verify, and verify itself with its status fields.
 */
final class IntegrityControls implements AutoCloseable {
    private final IntegrityConfig config;
    private final AdaptiveRate adaptive;
    private final VerifyLoop verify;

    IntegrityControls(IntegrityConfig config, PrimaryPipeline pipeline, DirtyMap dirty, SyncLoop sync) {
        this.config = config;
        pipeline.setChecksumSync(config.checksumSync());
        adaptive = config.adaptiveTargetMs() > 0
                ? new AdaptiveRate(config.adaptiveTargetMs(), pipeline.writeLatency(), SyncRate.Clock.SYSTEM) : null;
        if (adaptive != null) {
            sync.setRate(new SyncRate(adaptive, SyncRate.Clock.SYSTEM));
        } else if (config.syncRate() > 0) {
            sync.setRate(new SyncRate(config::syncRate, SyncRate.Clock.SYSTEM));
        }
        // Verify gets a pacer of its own: one thread per pacer.
        SyncRate verifyRate = adaptive != null ? new SyncRate(adaptive::current, SyncRate.Clock.SYSTEM)
                : new SyncRate(config::syncRate, SyncRate.Clock.SYSTEM);
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
            public void verifyStep(long offset, int length, PrimaryPipeline.VerifyResult done)
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
        }, verifyRate);
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
        reply.addString("syncmode", config.checksumSync() ? "checksum" : "plain");
        if (adaptive != null) {
            reply.addUint64("syncrate", adaptive.current());
            reply.addUint64("syncrate_latency_us", adaptive.lastMeanNanos() / 1000);
        } else {
            reply.addUint64("syncrate", config.syncRate());
        }
    }

    @Override
    public void close() {
        verify.close();
    }
}
