package org.hast.daemon.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

/** Event names and worker codes of spec §9.1. */
class HookEventTest {

    @Test
    void namesAndCodesAreThoseOfTheReference() {
        assertEquals(List.of("role", "connect", "disconnect", "syncstart", "syncdone", "syncintr", "split-brain"),
                List.of(HookEvent.values()).stream().map(HookEvent::hookName).toList());
        assertEquals(OptionalInt.empty(), HookEvent.ROLE.code());
        assertEquals(OptionalInt.of(1), HookEvent.CONNECT.code());
        assertEquals(OptionalInt.of(2), HookEvent.DISCONNECT.code());
        assertEquals(OptionalInt.of(3), HookEvent.SYNCSTART.code());
        assertEquals(OptionalInt.of(4), HookEvent.SYNCDONE.code());
        assertEquals(OptionalInt.of(5), HookEvent.SYNCINTR.code());
        assertEquals(OptionalInt.of(6), HookEvent.SPLIT_BRAIN.code());
        assertEquals("split-brain", HookEvent.SPLIT_BRAIN.toString());
    }

    @Test
    void everyCodeMapsBack() {
        for (HookEvent event : HookEvent.values()) {
            event.code().ifPresent(code -> assertEquals(Optional.of(event), HookEvent.fromCode(code)));
        }
    }

    @Test
    void zeroAndUnknownCodesAreEmpty() {
        for (int code : new int[] {0, 7, 8, 255, -1, 256, Integer.MAX_VALUE}) {
            assertTrue(HookEvent.fromCode(code).isEmpty(), "code " + code);
        }
    }
}
