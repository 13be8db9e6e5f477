package org.hast.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.hast.proto.Role;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided input for {@link MetadataCodec#decode} (docs/fuzzing.md): the first 4 KiB of
 * a provider give metadata or a {@link MetadataException} with a one-line message; accepted
 * metadata encodes back to an area that decodes to the same value.
 */
class MetadataCoverageFuzzTest {
    private static final String PATH = "/dev/fuzz";

    @FuzzTest
    void decode(byte[] input) throws MetadataException {
        // short input is padded with zeros as a fresh provider reads; longer is cut at 4 KiB
        ByteBuffer area = ByteBuffer.allocate(MetadataCodec.METADATA_SIZE);
        area.put(input, 0, Math.min(input.length, MetadataCodec.METADATA_SIZE)).clear();
        Metadata md;
        try {
            md = MetadataCodec.decode(area, null, PATH);
        } catch (MetadataException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        assertNotEquals(Role.UNDEF, md.prevRole());
        assertEquals(0, area.position(), "decode leaves the area alone");
        ByteBuffer again;
        try {
            again = MetadataCodec.encode(md);
        } catch (IllegalArgumentException e) {
            // a name that fills the area leaves no room for the re-ordered fields
            assertTrue(md.resource().length() > 3000, e.getMessage());
            return;
        }
        assertEquals(md, MetadataCodec.decode(again, md.resource(), PATH));
    }
}
