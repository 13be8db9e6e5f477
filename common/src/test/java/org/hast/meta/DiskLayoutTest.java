package org.hast.meta;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DiskLayoutTest {
    private static final long MIB = 1L << 20;
    private static final String PROVIDER = "/var/lib/hast/vectors/run/meta/disk.img";

    /**
     * The create cases of vectors/README.md: file size and arguments, checked against what the
     * reference wrote (localoff = length of the .bin, the rest from hastctl dump).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // name,         file size, -m,   -e,     -k
        "default_64M,    67108864,  ,     ,       ",
        "e64k_k8_64M,    67108864,  ,     65536,  8",
        "e64k_k8_1G,     1073741824,,     65536,  8",
        "e4k_64M,        67108864,  ,     4096,   ",
        "m32M_file64M,   67108864,  33554432, ,   ",
        "odd_10000000,   10000000,  ,     ,       ",
        "e1m_k1_10M,     10485760,  ,     1048576, 1",
    })
    void matchesTheReferenceCreate(String name, long fileSize, Long m, Long e, Long k)
            throws Exception {
        DiskLayout layout = DiskLayout.forCreate(PROVIDER, fileSize, 512, m, e, k);
        Path bin = Requirements.vector("metadata/" + name + ".bin");
        Metadata dumped = MetadataVectorsTest.fromDump(
                Files.readAllLines(bin.resolveSibling(name + ".dump.txt")));
        long binLength = Files.size(bin);

        assertEquals(binLength, layout.localOff());
        assertEquals(binLength - 4096, layout.mapSize());
        assertEquals(dumped.dataSize(), layout.dataSize());
        assertEquals(dumped.localOff(), layout.localOff());
        assertEquals(dumped.extentSize(), layout.extentSize());
        assertEquals(dumped.keepDirty(), layout.keepDirty());
        assertEquals(m == null ? fileSize : m, layout.mediaSize());
        assertEquals(layout.mediaSize(), layout.localOff() + layout.dataSize());
        assertEquals(Metadata.created("test", layout), dumped);
    }

    @Test
    void readmeFigures() throws LayoutException {
        // e64k_k8_64M: 1024 extents, 128-byte map, 512 on disk
        assertEquals(1024, DiskLayout.extentCount(64 * MIB - 4096, 65536));
        assertEquals(128, DiskLayout.bitmapBytes(1024));
        // e64k_k8_1G: 16384 extents, 2048-byte map
        assertEquals(2048, DiskLayout.bitmapBytes(DiskLayout.extentCount(1024 * MIB - 4096,
                65536)));
        // e4k_64M: 16383 extents
        assertEquals(16383, DiskLayout.extentCount(64 * MIB - 4096, 4096));
        // e1m_k1_10M: 10 extents, 8-byte map, 512 on disk, datasize 10481152
        assertEquals(10, DiskLayout.extentCount(10 * MIB - 4096, 1048576));
        assertEquals(8, DiskLayout.bitmapBytes(10));
        assertEquals(512, DiskLayout.onDiskMapBytes(10 * MIB - 4096, 1048576, 512));
    }

    @Test
    void bitmapBytesAreWholeWords() {
        assertEquals(0, DiskLayout.bitmapBytes(0));
        assertEquals(8, DiskLayout.bitmapBytes(1));
        assertEquals(8, DiskLayout.bitmapBytes(64));
        assertEquals(16, DiskLayout.bitmapBytes(65));
    }

    @Test
    void primaryMapIsSizedFromDatasize() {
        // 64 MiB with 4 KiB extents: 16383 extents on disk, datasize gives 16383 too
        assertEquals(2048, DiskLayout.primaryMapBytes(67102720, 4096, 512));
        // 512-byte extents and sectors, 4097 extents after the metadata: the on-disk map needs
        // 65 words (1024 bytes after rounding); the datasize left then holds only 4095
        // extents, whose map fits in 512 bytes
        DiskLayout layout = assertDoesNotThrow(() -> DiskLayout.forCreate(PROVIDER,
                4096 + 512L * 4097, 512, null, 512L, null));
        assertEquals(1024, layout.mapSize());
        assertEquals(512L * 4095, layout.dataSize());
        assertEquals(512, DiskLayout.primaryMapBytes(layout.dataSize(), 512, 512));
        assertEquals(1024, DiskLayout.secondaryMapBytes(layout.localOff()));
    }

    @Test
    void secondaryMapComesFromLocaloffNotTheProviderSize() throws LayoutException {
        // A5: created with -m 32M on a 1 GiB provider; the provider size would give 2048
        DiskLayout small = DiskLayout.forCreate(PROVIDER, 1024 * MIB, 512, 32 * MIB, 65536L,
                null);
        assertEquals(512, small.mapSize());
        assertEquals(512, DiskLayout.secondaryMapBytes(small.localOff()));
        assertEquals(2048, DiskLayout.onDiskMapBytes(1024 * MIB - 4096, 65536, 512));
    }

    @Test
    void zeroRequestsMeanDefaults() throws LayoutException {
        assertEquals(DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, null, null),
                DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, 0L, 0L, 0L));
    }

    @Test
    void extentSizeNotAMultipleOfTheSectorSize() throws Exception {
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, 1000L, null));
        assertEquals(SysExits.EX_DATAERR, e.exitCode());
        assertEquals(referenceMessage("err_e1000"), e.getMessage());
    }

    @Test
    void mediasizeLargerThanTheProvider() throws Exception {
        String path = "/var/lib/hast/vectors/run/meta/err_m_too_big.img";
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(path, 64 * MIB, 512, 128 * MIB, null, null));
        assertEquals(SysExits.EX_DATAERR, e.exitCode());
        assertEquals(referenceMessage("err_m_too_big"), e.getMessage());
    }

    @Test
    void sectorSizeNotAPowerOfTwo() {
        for (int sector : new int[] {0, 520, -512}) {
            LayoutException e = assertThrows(LayoutException.class,
                    () -> DiskLayout.forCreate("/dev/da1", 64 * MIB, sector, null, null, null));
            assertEquals(SysExits.EX_DATAERR, e.exitCode());
            assertEquals("Sector size of provider /dev/da1 is not power of 2 ("
                    + Integer.toUnsignedString(sector) + ").", e.getMessage());
        }
    }

    @Test
    void extentSizeBelowTheSectorSize() {
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 4096, null, 2048L, null));
        assertEquals(SysExits.EX_DATAERR, e.exitCode());
        assertEquals("Extent size (2048) is less than sector size (4096).", e.getMessage());
    }

    @Test
    void negativeExtentSize() {
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, -65536L, null));
        assertEquals("Extent size (-65536) is less than sector size (512).", e.getMessage());
    }

    @Test
    void extentSizeNotAPowerOfTwo() {
        // a multiple of the sector size, so only the A4 check catches it
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, 3072L, null));
        assertEquals(SysExits.EX_DATAERR, e.exitCode());
        assertEquals("Extent size (3072) is not a power of two.", e.getMessage());
    }

    @Test
    void extentSizeTooLargeForTheField() {
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 1L << 40, 512, null, 1L << 31, null));
        assertEquals("Extent size (2147483648) is larger than the maximum (1073741824).",
                e.getMessage());
    }

    @Test
    void keepdirtyOutOfRange() {
        LayoutException negative = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, null, -1L));
        assertEquals(SysExits.EX_DATAERR, negative.exitCode());
        assertEquals("Keepdirty (-1) must be positive.", negative.getMessage());
        LayoutException huge = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, null, null, 1L << 31));
        assertEquals("Keepdirty (2147483648) is larger than the maximum (2147483647).",
                huge.getMessage());
    }

    @Test
    void mediaTooSmallForMetadataMapAndOneSector() throws LayoutException {
        for (long size : new long[] {0, 4096, 4096 + 512, 4096 + 1023}) {
            LayoutException e = assertThrows(LayoutException.class,
                    () -> DiskLayout.forCreate(PROVIDER, size, 512, null, null, null));
            assertEquals(SysExits.EX_DATAERR, e.exitCode());
            assertEquals("Media size (" + size + ") is too small for 4096 bytes of metadata,"
                    + " the bitmap and one sector of data.", e.getMessage());
        }
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate(PROVIDER, 64 * MIB, 512, -5L, null, null));
        assertEquals("Media size (-5) is too small for 4096 bytes of metadata, the bitmap and"
                + " one sector of data.", e.getMessage());
        DiskLayout smallest = DiskLayout.forCreate(PROVIDER, 4096 + 1024, 512, null, null, null);
        assertEquals(512, smallest.dataSize());
        assertEquals(4608, smallest.localOff());
    }

    @Test
    void checksRunInTheReferenceOrder() {
        // -m too big wins over a bad sector size, which wins over a bad extent size
        LayoutException e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate("/p", 64 * MIB, 3, 128 * MIB, 1000L, -1L));
        assertEquals("Provided mediasize is larger than provider /p size.", e.getMessage());
        e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate("/p", 64 * MIB, 3, null, 1000L, -1L));
        assertEquals("Sector size of provider /p is not power of 2 (3).", e.getMessage());
        e = assertThrows(LayoutException.class,
                () -> DiskLayout.forCreate("/p", 64 * MIB, 512, null, 1000L, -1L));
        assertEquals("Extent size (1000) is not multiple of sector size (512).", e.getMessage());
    }

    /** The create.txt line without pjdlog's "[ERROR] [test] " prefix; exit status 65. */
    private static String referenceMessage(String name) throws Exception {
        List<String> lines = Files.readAllLines(
                Requirements.vector("metadata/" + name + ".create.txt"));
        assertEquals("exit=65", lines.get(1));
        String prefix = "[ERROR] [test] ";
        assertEquals(prefix, lines.get(0).substring(0, prefix.length()));
        return lines.get(0).substring(prefix.length());
    }
}
