package org.hast.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReconnectPeriodTest {

    @Test
    void unsetIsTheReferencePeriod() {
        assertEquals(10, ReconnectPeriod.seconds(null));
        assertEquals(10, ReconnectPeriod.seconds(""));
    }

    @Test
    void testsMayShortenIt() {
        assertEquals(1, ReconnectPeriod.seconds("1"));
        assertEquals(10, ReconnectPeriod.seconds("10"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "11", "-1", "1.5", "soon"})
    void anythingElseIsRefusedWithTheVariableNamed(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReconnectPeriod.seconds(value));
        assertEquals("HAST_RECONNECT_SECONDS must be 1 to 10 seconds, not '" + value + "'", e.getMessage());
    }
}
