package org.hast.daemon;

import java.time.Duration;

import org.hast.util.EnvSeconds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a status (or verify) request waits for a worker's answer before that resource's
 * part of the reply says ETIMEDOUT (A12): 20 s, a starting JVM included. The environment
 * variable {@code HAST_WORKER_STATUS_SECONDS} (1 to 20) shortens it, so that the integration
 * test of a stopped worker does not wait the whole limit; hastd(8) documents it.
 */
final class WorkerStatusLimit {
    static final String VARIABLE = "HAST_WORKER_STATUS_SECONDS";
    static final int DEFAULT_SECONDS = 20;
    private static final Logger LOG = LoggerFactory.getLogger(WorkerStatusLimit.class);

    private WorkerStatusLimit() {
    }

    /** The limit for {@code value} (the variable's value, or null when unset). */
    static Duration of(String value) {
        return Duration.ofSeconds(EnvSeconds.parse(VARIABLE, value, DEFAULT_SECONDS));
    }

    /** This process's limit; the default, with a warning, when the variable is invalid. */
    static Duration current() {
        try {
            return of(System.getenv(VARIABLE));
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignored {}; workers get {} s to answer a status request.", e.getMessage(), DEFAULT_SECONDS);
            return Duration.ofSeconds(DEFAULT_SECONDS);
        }
    }
}
