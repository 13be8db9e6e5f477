package org.hast.nv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Builds an nv blob (spec §5.1) entry by entry, in insertion order, straight into its wire
 * form: there is no intermediate object per field, so {@link #encodedSize()} is always exact
 * and {@link #encodeTo(ByteBuffer)} is one bulk copy.
 *
 * <p>Every padding byte is written as zero (decisions A16; the reference leaves the padding
 * after names uninitialised). The type byte never carries the 0x80 host-order flag. All
 * multi-byte values are little-endian, whatever the order of the buffers involved.
 *
 * <p>Programming errors are {@link IllegalArgumentException}s: a name that is empty, longer
 * than 254 UTF-8 bytes or contains NUL; a string containing NUL; an empty array (the format
 * cannot carry one, §5.3 rule 5); a number outside its type's range.
 */
public final class NvWriter {
    /** namesize is one byte and counts the terminating NUL. */
    public static final int MAX_NAME_BYTES = 254;
    /** Leave head-room below Integer.MAX_VALUE, as the JDK's own growable arrays do. */
    private static final int MAX_BLOB = Integer.MAX_VALUE - 16;

    private byte[] buf;
    private int length;
    private int count;

    public NvWriter() {
        this(128);
    }

    public NvWriter(int initialCapacity) {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("negative capacity " + initialCapacity);
        }
        buf = new byte[initialCapacity];
    }

    /** Bytes {@link #encode()} will produce. */
    public int encodedSize() {
        return length;
    }

    /** Entries added so far. */
    public int count() {
        return count;
    }

    /** Forgets every entry, keeping the buffer for reuse. */
    public NvWriter clear() {
        length = 0;
        count = 0;
        return this;
    }

    /**
     * Copies the blob to {@code dst} at its position and advances it by
     * {@link #encodedSize()} bytes.
     *
     * @throws java.nio.BufferOverflowException if {@code dst} has less room than that
     */
    public void encodeTo(ByteBuffer dst) {
        dst.put(buf, 0, length);
    }

    /** Receives the blob as a slice of an array it must not keep. */
    @FunctionalInterface
    public interface BlobSink {
        void write(byte[] bytes, int offset, int length);
    }

    /**
     * Hands the blob to {@code sink} in one call, without a copy or a buffer view: a Netty
     * {@code ByteBuf::writeBytes} takes it straight from this writer's array.
     */
    public void writeTo(BlobSink sink) {
        sink.write(buf, 0, length);
    }

    /** A new little-endian heap buffer holding exactly the blob, positioned at 0. */
    public ByteBuffer encode() {
        return ByteBuffer.wrap(Arrays.copyOf(buf, length)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the blob as a byte array. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, length);
    }

    // ---- scalars --------------------------------------------------------------------------

    public NvWriter addInt8(String name, int value) {
        checkRange(name, value, Byte.MIN_VALUE, Byte.MAX_VALUE);
        return addScalar(NvType.INT8, name, value);
    }

    public NvWriter addUint8(String name, int value) {
        checkRange(name, value, 0, 0xff);
        return addScalar(NvType.UINT8, name, value);
    }

    public NvWriter addInt16(String name, int value) {
        checkRange(name, value, Short.MIN_VALUE, Short.MAX_VALUE);
        return addScalar(NvType.INT16, name, value);
    }

    public NvWriter addUint16(String name, int value) {
        checkRange(name, value, 0, 0xffff);
        return addScalar(NvType.UINT16, name, value);
    }

    public NvWriter addInt32(String name, int value) {
        return addScalar(NvType.INT32, name, value);
    }

    public NvWriter addUint32(String name, long value) {
        checkRange(name, value, 0, 0xffff_ffffL);
        return addScalar(NvType.UINT32, name, value);
    }

    public NvWriter addInt64(String name, long value) {
        return addScalar(NvType.INT64, name, value);
    }

    /** {@code value} is taken as 64 unsigned bits: -1 is written as 2^64 - 1. */
    public NvWriter addUint64(String name, long value) {
        return addScalar(NvType.UINT64, name, value);
    }

    // ---- string ---------------------------------------------------------------------------

    /** A UTF-8 string; its payload is the bytes plus one NUL (dsize 1 for ""). */
    public NvWriter addString(String name, String value) {
        Objects.requireNonNull(value, "value");
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("nv string '" + name + "' contains NUL");
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int at = beginEntry(NvType.STRING, name, (long) bytes.length + 1);
        System.arraycopy(bytes, 0, buf, at, bytes.length);
        buf[at + bytes.length] = 0;
        return endEntry(at, bytes.length + 1);
    }

    // ---- arrays ---------------------------------------------------------------------------

    public NvWriter addInt8Array(String name, byte[] values) {
        return addByteArray(NvType.INT8_ARRAY, name, values);
    }

    public NvWriter addUint8Array(String name, byte[] values) {
        return addByteArray(NvType.UINT8_ARRAY, name, values);
    }

    /** The remaining bytes of {@code values}; its position is left unchanged. */
    public NvWriter addUint8Array(String name, ByteBuffer values) {
        return addRaw(NvType.UINT8_ARRAY, name, values);
    }

    public NvWriter addInt16Array(String name, short[] values) {
        return addShortArray(NvType.INT16_ARRAY, name, values);
    }

    /** Elements are taken as 16 unsigned bits each. */
    public NvWriter addUint16Array(String name, short[] values) {
        return addShortArray(NvType.UINT16_ARRAY, name, values);
    }

    public NvWriter addInt32Array(String name, int[] values) {
        return addIntArray(NvType.INT32_ARRAY, name, values);
    }

    /** Elements are taken as 32 unsigned bits each. */
    public NvWriter addUint32Array(String name, int[] values) {
        return addIntArray(NvType.UINT32_ARRAY, name, values);
    }

    public NvWriter addInt64Array(String name, long[] values) {
        return addLongArray(NvType.INT64_ARRAY, name, values);
    }

    /** Elements are taken as 64 unsigned bits each. */
    public NvWriter addUint64Array(String name, long[] values) {
        return addLongArray(NvType.UINT64_ARRAY, name, values);
    }

    // ---- raw ------------------------------------------------------------------------------

    /**
     * An entry whose payload is given in wire form (little-endian elements; a string with its
     * NUL). The payload must satisfy the receiver's rules of §5.3, so that whatever this writer
     * produces decodes again; used to copy entries from a decoded {@link NvMessage}. The
     * remaining bytes of {@code payload} are copied; its position is left unchanged.
     */
    public NvWriter addRaw(NvType type, String name, ByteBuffer payload) {
        Objects.requireNonNull(type, "type");
        int dsize = payload.remaining();
        String problem = NvValidation.payloadProblem(type, payload, payload.position(), dsize);
        if (problem != null) {
            throw new IllegalArgumentException("nv entry '" + name + "': " + problem);
        }
        int at = beginEntry(type, name, dsize);
        payload.get(payload.position(), buf, at, dsize);
        return endEntry(at, dsize);
    }

    // ---- internals ------------------------------------------------------------------------

    private NvWriter addScalar(NvType type, String name, long value) {
        int width = type.elementSize();
        int at = beginEntry(type, name, width);
        putLe(at, value, width);
        return endEntry(at, width);
    }

    private NvWriter addByteArray(NvType type, String name, byte[] values) {
        int at = beginEntry(type, name, arraySize(name, values.length, 1));
        System.arraycopy(values, 0, buf, at, values.length);
        return endEntry(at, values.length);
    }

    private NvWriter addShortArray(NvType type, String name, short[] values) {
        long dsize = arraySize(name, values.length, 2);
        int at = beginEntry(type, name, dsize);
        for (int i = 0; i < values.length; i++) {
            putLe(at + 2 * i, values[i], 2);
        }
        return endEntry(at, (int) dsize);
    }

    private NvWriter addIntArray(NvType type, String name, int[] values) {
        long dsize = arraySize(name, values.length, 4);
        int at = beginEntry(type, name, dsize);
        for (int i = 0; i < values.length; i++) {
            putLe(at + 4 * i, values[i], 4);
        }
        return endEntry(at, (int) dsize);
    }

    private NvWriter addLongArray(NvType type, String name, long[] values) {
        long dsize = arraySize(name, values.length, 8);
        int at = beginEntry(type, name, dsize);
        for (int i = 0; i < values.length; i++) {
            putLe(at + 8 * i, values[i], 8);
        }
        return endEntry(at, (int) dsize);
    }

    private static long arraySize(String name, int elements, int width) {
        if (elements == 0) {
            throw new IllegalArgumentException("nv array '" + name + "' is empty (dsize 0 is not"
                    + " allowed on the wire)");
        }
        return (long) elements * width;
    }

    /**
     * Writes the 6-byte entry header and the zero-padded name, reserves the zero-padded
     * payload, and returns where the payload starts.
     */
    private int beginEntry(NvType type, String name, long dsize) {
        Objects.requireNonNull(name, "name");
        // Every protocol name is ASCII: written char by char, so adding a field allocates nothing.
        byte[] encoded = isAscii(name) ? null : name.getBytes(StandardCharsets.UTF_8);
        int nameLength = encoded == null ? name.length() : encoded.length;
        checkName(name, nameLength);
        int namesize = nameLength + 1;
        long entrySize = 6L + roundup8(namesize) + roundup8(dsize);
        if (dsize > 0xffff_ffffL || length + entrySize > MAX_BLOB) {
            throw new IllegalStateException("nv blob would exceed " + MAX_BLOB + " bytes");
        }
        ensureCapacity(length + (int) entrySize);
        int at = length;
        buf[at] = (byte) type.code();
        buf[at + 1] = (byte) namesize;
        putLe(at + 2, dsize, 4);
        if (encoded == null) {
            for (int k = 0; k < nameLength; k++) {
                buf[at + 6 + k] = (byte) name.charAt(k);
            }
        } else {
            System.arraycopy(encoded, 0, buf, at + 6, nameLength);
        }
        int payloadAt = at + 6 + (int) roundup8(namesize);
        Arrays.fill(buf, at + 6 + nameLength, payloadAt, (byte) 0);
        return payloadAt;
    }

    /** Zeroes the payload padding and commits the entry. */
    private NvWriter endEntry(int payloadAt, int dsize) {
        int end = payloadAt + (int) roundup8(dsize);
        Arrays.fill(buf, payloadAt + dsize, end, (byte) 0);
        length = end;
        count++;
        return this;
    }

    private static void checkName(String name, int encodedLength) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("nv name contains NUL: '" + name.replace("\0", "\\0")
                    + "'");
        }
        if (encodedLength == 0 || encodedLength > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("nv name must be 1.." + MAX_NAME_BYTES
                    + " bytes, got " + encodedLength + ": '" + name + "'");
        }
    }

    private static boolean isAscii(String name) {
        for (int k = 0; k < name.length(); k++) {
            if (name.charAt(k) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static void checkRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("nv value " + value + " for '" + name
                    + "' is outside " + min + ".." + max);
        }
    }

    private void ensureCapacity(int needed) {
        if (needed > buf.length) {
            long grown = Math.max((long) buf.length * 2, needed);
            buf = Arrays.copyOf(buf, (int) Math.min(grown, MAX_BLOB));
        }
    }

    private void putLe(int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            buf[at + i] = (byte) (value >>> (8 * i));
        }
    }

    static long roundup8(long n) {
        return (n + 7) & ~7L;
    }
}
