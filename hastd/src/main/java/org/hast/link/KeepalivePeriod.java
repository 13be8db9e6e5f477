package org.hast.link;

import org.hast.util.EnvSeconds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HAST_KEEPALIVE} (10 s, spec §4.8): how often a primary sends a keepalive on its link,
 * and half of how long a secondary waits for anything from its primary before it gives the
 * link up. The environment variable {@code HAST_KEEPALIVE_SECONDS} (1 to 10) shortens both, so
 * that the integration tests that cut links do not wait 20 s for a secondary to notice each
 * time; hastd(8) documents it. Both nodes need the same value: a secondary with a shorter one
 * drops a primary that keeps the reference period between two of its keepalives.
 */
public final class KeepalivePeriod {
    public static final String VARIABLE = "HAST_KEEPALIVE_SECONDS";
    public static final int REFERENCE_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(KeepalivePeriod.class);

    private KeepalivePeriod() {
    }

    /** The period for {@code value} (the variable's value, or null when unset). */
    static int seconds(String value) {
        return EnvSeconds.parse(VARIABLE, value, REFERENCE_SECONDS);
    }

    /** This process's keepalive period; the reference's, with a warning, when the variable is invalid. */
    public static int current() {
        try {
            return seconds(System.getenv(VARIABLE));
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignored {}; keepalives every {} s.", e.getMessage(), REFERENCE_SECONDS);
            return REFERENCE_SECONDS;
        }
    }

    /** How long a secondary waits for anything from its primary: two keepalive periods. */
    public static int silenceLimitSeconds() {
        return 2 * current();
    }
}
