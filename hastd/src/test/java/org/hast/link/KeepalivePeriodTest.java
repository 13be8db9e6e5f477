package org.hast.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeepalivePeriodTest {

    @Test
    void unsetIsTheReferencePeriod() {
        assertEquals(10, KeepalivePeriod.seconds(null));
        assertEquals(10, KeepalivePeriod.seconds(""));
    }

    @Test
    void testsMayShortenIt() {
        assertEquals(1, KeepalivePeriod.seconds("1"));
        assertEquals(3, KeepalivePeriod.seconds(" 3 "));
        assertEquals(10, KeepalivePeriod.seconds("10"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "11", "-1", "1.5", "soon"})
    void anythingElseIsRefusedWithTheVariableNamed(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeepalivePeriod.seconds(value));
        assertEquals("HAST_KEEPALIVE_SECONDS must be 1 to 10 seconds, not '" + value + "'", e.getMessage());
    }
}
