package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerStatusLimitTest {

    @Test
    void unsetIsTwentySeconds() {
        assertEquals(Duration.ofSeconds(20), WorkerStatusLimit.of(null));
        assertEquals(Duration.ofSeconds(20), WorkerStatusLimit.of(""));
    }

    @Test
    void testsMayShortenIt() {
        assertEquals(Duration.ofSeconds(1), WorkerStatusLimit.of("1"));
        assertEquals(Duration.ofSeconds(3), WorkerStatusLimit.of(" 3"));
        assertEquals(Duration.ofSeconds(20), WorkerStatusLimit.of("20"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "21", "-1", "2.5", "later"})
    void anythingElseIsRefusedWithTheVariableNamed(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkerStatusLimit.of(value));
        assertEquals("HAST_WORKER_STATUS_SECONDS must be 1 to 20 seconds, not '" + value + "'", e.getMessage());
    }
}
