package org.hast.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class IoErrorsTest {
    @Test
    void namesTheErrorsJavaGivesNoStrerrorTextFor() {
        assertEquals("No such file or directory", IoErrors.describe(new NoSuchFileException("/x")));
        assertEquals("Connection closed", IoErrors.describe(new ClosedChannelException()));
    }

    @Test
    void neverSaysNull() {
        assertEquals("Broken pipe", IoErrors.describe(new IOException("Broken pipe")));
        assertEquals("IOException", IoErrors.describe(new IOException()));
        assertEquals("IllegalStateException", IoErrors.describe(new IllegalStateException()));
    }
}
