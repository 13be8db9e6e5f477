package org.hast.primary;

import org.hast.util.EnvSeconds;

/**
 * How often the primary retries a lost link to the secondary: {@code HAST_KEEPALIVE} (10 s), as
 * the reference does. The environment variable {@code HAST_RECONNECT_SECONDS} (1 to 10)
 * shortens it, so that the integration tests, which cut links and restart nodes again and
 * again, do not spend minutes waiting for the next attempt; hastd(8) documents it. Keepalives
 * and the secondary's silence limit keep their periods.
 */
final class ReconnectPeriod {
    static final String VARIABLE = "HAST_RECONNECT_SECONDS";

    private ReconnectPeriod() {
    }

    /** The period for {@code value} (the variable's value, or null when unset). */
    static int seconds(String value) {
        return EnvSeconds.parse(VARIABLE, value, RemoteLink.KEEPALIVE_SECONDS);
    }
}
