package org.hast.nv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided input for {@link NvMessage#decode} (docs/fuzzing.md): a blob is either
 * refused with a one-line MALFORMED {@link NvFormatException}, or every accessor works on it,
 * it is served from its own bytes, and re-encoding it gives the same message
 * ({@link NvDecodeFuzzTest#exercise}).
 */
class NvMessageCoverageFuzzTest {
    @FuzzTest
    void decode(byte[] blob) throws NvFormatException {
        NvMessage message;
        try {
            message = NvMessage.decode(ByteBuffer.wrap(blob));
        } catch (NvFormatException e) {
            assertEquals(NvFormatException.Reason.MALFORMED, e.reason());
            assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        NvDecodeFuzzTest.exercise(message, blob);
    }
}
