package org.hast.meta;

import static org.hast.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.hast.nv.NvFormatException;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;
import org.junit.jupiter.api.Test;

class MetadataCodecTest {
    private static final String PATH = "/dev/da0";
    private static final Metadata SAMPLE = new Metadata("shared", 67104256, 2097152, 64, 4608,
            0x8000_0000_0000_0001L, 7, 3, Role.SECONDARY);

    @Test
    void encodesTheNineFieldsInOrder() {
        byte[] area = MetadataCodec.encode(new Metadata("r0", 1, 2, 3, 4, 5, 6, 7, Role.INIT))
                .array();
        byte[] expected = bytes(
                "11 09 03 00 00 00", "72 65 73 6f 75 72 63 65 00 00 00 00 00 00 00 00",
                "72 30 00 00 00 00 00 00",                               // resource = "r0"
                "08 09 08 00 00 00", "64 61 74 61 73 69 7a 65 00 00 00 00 00 00 00 00",
                "01 00 00 00 00 00 00 00",                               // datasize uint64 = 1
                "06 0b 04 00 00 00", "65 78 74 65 6e 74 73 69 7a 65 00 00 00 00 00 00",
                "02 00 00 00 00 00 00 00",                               // extentsize uint32 = 2
                "06 0a 04 00 00 00", "6b 65 65 70 64 69 72 74 79 00 00 00 00 00 00 00",
                "03 00 00 00 00 00 00 00",                               // keepdirty uint32 = 3
                "08 07 08 00 00 00", "6f 66 66 73 65 74 00 00",
                "04 00 00 00 00 00 00 00",                               // offset uint64 = 4
                "08 07 08 00 00 00", "72 65 73 75 69 64 00 00",
                "05 00 00 00 00 00 00 00",                               // resuid uint64 = 5
                "08 09 08 00 00 00", "6c 6f 63 61 6c 63 6e 74 00 00 00 00 00 00 00 00",
                "06 00 00 00 00 00 00 00",                               // localcnt uint64 = 6
                "08 0a 08 00 00 00", "72 65 6d 6f 74 65 63 6e 74 00 00 00 00 00 00 00",
                "07 00 00 00 00 00 00 00",                               // remotecnt uint64 = 7
                "11 09 05 00 00 00", "70 72 65 76 72 6f 6c 65 00 00 00 00 00 00 00 00",
                "69 6e 69 74 00 00 00 00");                              // prevrole = "init"
        assertEquals(4096, area.length);
        assertArrayEquals(expected, Arrays.copyOf(area, expected.length));
        assertArrayEquals(new byte[4096 - expected.length],
                Arrays.copyOfRange(area, expected.length, 4096), "zero padded to 4096");
    }

    @Test
    void roundTrip() throws MetadataException {
        assertEquals(SAMPLE, MetadataCodec.decode(MetadataCodec.encode(SAMPLE), "shared", PATH));
    }

    @Test
    void uint32FieldsKeepTheirBits() throws MetadataException {
        Metadata odd = new Metadata("r", 1, 0x8000_0000, -1, 4608, 0, 0, 0, Role.PRIMARY);
        Metadata back = MetadataCodec.decode(MetadataCodec.encode(odd), "r", PATH);
        assertEquals(odd, back);
    }

    @Test
    void decodeReadsAtThePositionAndMovesNothing() throws MetadataException {
        ByteBuffer disk = ByteBuffer.allocate(8192);
        disk.position(100);
        disk.put(MetadataCodec.encode(SAMPLE));
        disk.position(100);
        assertEquals(SAMPLE, MetadataCodec.decode(disk, "shared", PATH));
        assertEquals(100, disk.position());
    }

    @Test
    void anyResourceWhenNoneIsExpected() throws MetadataException {
        assertEquals(SAMPLE, MetadataCodec.decode(MetadataCodec.encode(SAMPLE), null, PATH));
    }

    @Test
    void otherResource() {
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(MetadataCodec.encode(SAMPLE), "other", PATH));
        assertEquals(MetadataException.Kind.WRONG_RESOURCE, e.kind());
        assertEquals("Provider /dev/da0 is not part of resource other.", e.getMessage());
    }

    @Test
    void shortArea() {
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(ByteBuffer.allocate(4095), "r", PATH));
        assertEquals(MetadataException.Kind.SHORT_READ, e.kind());
        assertEquals("Unable to read metadata", e.getMessage());
    }

    @Test
    void invalidNv() {
        ByteBuffer area = MetadataCodec.encode(SAMPLE);
        area.put(2, (byte) 9); // resource dsize 9: runs into the datasize entry, no NUL there
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(area, "shared", PATH));
        assertEquals(MetadataException.Kind.INVALID, e.kind());
        assertEquals("Metadata read from /dev/da0 is invalid", e.getMessage());
        assertInstanceOf(NvFormatException.class, e.getCause());
    }

    @Test
    void allZeroAreaHasNoFields() {
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(ByteBuffer.allocate(4096), "r", PATH));
        assertEquals(MetadataException.Kind.BAD_FIELD, e.kind());
        assertEquals("Unable to read metadata from /dev/da0", e.getMessage());
    }

    @Test
    void missingField() {
        NvWriter nv = new NvWriter().addString("resource", "r") // no datasize
                .addUint32("extentsize", 2).addUint32("keepdirty", 3).addUint64("offset", 4)
                .addUint64("resuid", 5).addUint64("localcnt", 6).addUint64("remotecnt", 7)
                .addString("prevrole", "primary");
        ByteBuffer area = area(nv);
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(area, "r", PATH));
        assertEquals(MetadataException.Kind.BAD_FIELD, e.kind());
        assertEquals("Unable to read metadata from /dev/da0", e.getMessage());
        assertEquals(NvFormatException.Reason.MISSING,
                ((NvFormatException) e.getCause()).reason());
    }

    @Test
    void wrongTypedField() {
        NvWriter nv = new NvWriter().addString("resource", "r").addUint64("datasize", 1)
                .addUint64("extentsize", 2) // uint64 where uint32 is required
                .addUint32("keepdirty", 3).addUint64("offset", 4).addUint64("resuid", 5)
                .addUint64("localcnt", 6).addUint64("remotecnt", 7)
                .addString("prevrole", "init");
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(area(nv), "r", PATH));
        assertEquals(MetadataException.Kind.BAD_FIELD, e.kind());
        assertEquals(NvFormatException.Reason.WRONG_TYPE,
                ((NvFormatException) e.getCause()).reason());
    }

    @Test
    void missingResourceFallsThroughToTheFieldError() {
        NvWriter nv = new NvWriter().addUint64("datasize", 1).addUint32("extentsize", 2)
                .addUint32("keepdirty", 3).addUint64("offset", 4).addUint64("resuid", 5)
                .addUint64("localcnt", 6).addUint64("remotecnt", 7)
                .addString("prevrole", "init");
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(area(nv), "r", PATH));
        assertEquals(MetadataException.Kind.BAD_FIELD, e.kind());
    }

    @Test
    void wrongTypedResourceFallsThroughToTheFieldError() {
        NvWriter nv = new NvWriter().addUint8Array("resource", new byte[] {'x'});
        MetadataException e = assertThrows(MetadataException.class,
                () -> MetadataCodec.decode(area(nv), "r", PATH));
        assertEquals(MetadataException.Kind.BAD_FIELD, e.kind());
    }

    @Test
    void unknownPrevroleReadsAsInit() throws MetadataException {
        for (String role : new String[] {"init", "bogus", "Primary", ""}) {
            Metadata md = MetadataCodec.decode(area(fields().addString("prevrole", role)),
                    "r", PATH);
            assertEquals(Role.INIT, md.prevRole(), role);
        }
        assertEquals(Role.PRIMARY, MetadataCodec.decode(area(fields()
                .addString("prevrole", "primary")), "r", PATH).prevRole());
    }

    @Test
    void extraFieldsAndDuplicatesAreTolerated() throws MetadataException {
        NvWriter nv = new NvWriter().addUint8("future", 1).addString("resource", "r")
                .addUint64("datasize", 1).addUint32("extentsize", 2).addUint32("keepdirty", 3)
                .addUint64("offset", 4).addUint64("resuid", 5).addUint64("localcnt", 6)
                .addUint64("remotecnt", 7).addString("prevrole", "secondary")
                .addString("resource", "ignored");
        Metadata md = MetadataCodec.decode(area(nv), "r", PATH);
        assertEquals(new Metadata("r", 1, 2, 3, 4, 5, 6, 7, Role.SECONDARY), md);
    }

    @Test
    void garbageAfterTheRecordsIsIgnoredOnlyAfterAZeroByte() throws MetadataException {
        ByteBuffer area = MetadataCodec.encode(SAMPLE);
        area.put(4000, (byte) 0x55);
        assertEquals(SAMPLE, MetadataCodec.decode(area, "shared", PATH));
    }

    @Test
    void resourceNameTooLongForTheArea() {
        Metadata tooLong = new Metadata("r".repeat(3900), 1, 2, 3, 4, 0, 0, 0, Role.PRIMARY);
        assertThrows(IllegalArgumentException.class, () -> MetadataCodec.encode(tooLong));
    }

    @Test
    void copies() {
        Metadata md = SAMPLE.withCounters(10, 11).withResUid(12).withPrevRole(Role.PRIMARY);
        assertEquals(new Metadata("shared", 67104256, 2097152, 64, 4608, 12, 10, 11,
                Role.PRIMARY), md);
        assertThrows(IllegalArgumentException.class, () -> SAMPLE.withPrevRole(Role.UNDEF));
        assertThrows(NullPointerException.class, () -> SAMPLE.withPrevRole(null));
        assertEquals(512, SAMPLE.onDiskMapSize());
    }

    @Test
    void createdMetadata() throws LayoutException {
        DiskLayout layout = DiskLayout.forCreate(PATH, 64L << 20, 512, null, null, null);
        Metadata md = Metadata.created("test", layout);
        assertEquals(new Metadata("test", 67104256, 2097152, 64, 4608, 0, 0, 0, Role.INIT), md);
    }

    /** The eight fields before prevrole. */
    private static NvWriter fields() {
        return new NvWriter().addString("resource", "r").addUint64("datasize", 1)
                .addUint32("extentsize", 2).addUint32("keepdirty", 3).addUint64("offset", 4)
                .addUint64("resuid", 5).addUint64("localcnt", 6).addUint64("remotecnt", 7);
    }

    private static ByteBuffer area(NvWriter nv) {
        ByteBuffer area = ByteBuffer.allocate(4096);
        nv.encodeTo(area);
        return area.clear();
    }
}
