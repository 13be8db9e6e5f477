package org.hast.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.codec.EncodedPayload;
import org.hast.codec.PayloadCodec;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.WireVectors;
import org.hast.testing.WireVectors.Message;
import org.junit.jupiter.api.Test;

/**
 * The payload stage end to end: the send stage's output appended after a request's own fields
 * gives the reference's WRITE headers byte for byte (the payloads are those of the standard op
 * list in vectors/README.md).
 */
class PayloadFieldsTest {
    private static final int MAXPHYS = 1 << 20;

    private static Message vector(String session, String suffix) {
        List<Message> all = WireVectors.all();
        for (Message m : all) {
            if (m.session().equals(session) && m.file().endsWith(suffix)) {
                return m;
            }
        }
        throw new AssertionError("no vector " + session + "/*" + suffix);
    }

    private static byte[] writeFrame(Compression compression, ChecksumAlgorithm checksum,
            RequestHeader header, byte[] data) {
        PayloadCodec codec = new PayloadCodec(compression, checksum);
        EncodedPayload encoded = codec.encode(ByteBuffer.wrap(data),
                ByteBuffer.allocate(MAXPHYS));
        NvWriter nv = PayloadFields.append(header.toNv(), encoded);
        return ProtoVectorsTest.array(Frames.encode(2, nv));
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void crc32WriteOf4KiB0x5a() {
        Message m = vector("wire_checksum_crc32", "m01_WRITE.bin");
        assertArrayEquals(m.expected(), writeFrame(Compression.NONE, ChecksumAlgorithm.CRC32,
                RequestHeader.write(1, 0, 4096, true), filled(4096, 0x5a)));
    }

    @Test
    void holeWriteOf64KiBZeros() {
        Message m = vector("wire_default", "m04_WRITE.bin");
        assertArrayEquals(m.expected(), writeFrame(Compression.HOLE, ChecksumAlgorithm.NONE,
                RequestHeader.write(4, 8388608, 65536, true), new byte[65536]));
    }

    @Test
    void lzfWriteOf4KiB0x5a() {
        Message m = vector("wire_compression_lzf", "m01_WRITE.bin");
        assertArrayEquals(m.expected(), writeFrame(Compression.LZF, ChecksumAlgorithm.NONE,
                RequestHeader.write(1, 0, 4096, true), filled(4096, 0x5a)));
    }

    @Test
    void plainWriteHasSizeAlone() {
        Message m = vector("wire_default", "m01_WRITE.bin");
        assertArrayEquals(m.expected(), writeFrame(Compression.HOLE, ChecksumAlgorithm.NONE,
                RequestHeader.write(1, 0, 4096, true), filled(4096, 0x5a)));
    }

    @Test
    void fromNvReadsLeniently() throws Exception {
        PayloadFields none = PayloadFields.fromNv(NvMessage.decode(new NvWriter()
                .addUint64("seq", 1).encode()));
        assertEquals(new PayloadFields(null, null, null, 0), none);
        PayloadFields odd = PayloadFields.fromNv(NvMessage.decode(new NvWriter()
                .addUint8("compression", 1).addString("checksum", "crc32")
                .addUint64("size", 4).encode()));
        assertNull(odd.compression());
        assertNull(odd.hash(), "checksum without hash: the receive stage says Hash is missing");
        assertEquals(0, odd.size(), "a size of another type means no payload");
    }

    @Test
    void appendToRefusesAChecksumWithoutHash() {
        PayloadFields odd = new PayloadFields(null, "crc32", null, 4);
        assertThrows(IllegalStateException.class, () -> odd.appendTo(new NvWriter()));
        assertThrows(IllegalArgumentException.class,
                () -> new PayloadFields(null, null, null, 1L << 32));
    }
}
