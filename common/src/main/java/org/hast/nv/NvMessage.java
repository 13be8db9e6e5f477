package org.hast.nv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A decoded nv blob (spec §5): an ordered, read-only view of the entries of a byte buffer.
 *
 * <p>Decoding validates the whole blob against every rule of §5.3 and then keeps only an
 * index of three ints per entry (an entry is at least 22 bytes, so the index is always
 * smaller than the blob); names and values are read from the blob when asked for. Array
 * getters return read-only slices of the blob, never copies. The message is therefore a view:
 * the caller must not change the decoded bytes while it uses the message.
 *
 * <p>Lookups follow §5.4: by exact name, the first entry with that name wins, and if that entry
 * has another type the lookup fails (later duplicates are not considered). Two families of
 * getters replace the reference's sticky error:
 * <ul>
 *   <li>{@code getX(name)} is lenient like {@code nv_get_x()}: 0 or null when the field is
 *       missing or of another type;</li>
 *   <li>{@code requireX(name)} throws {@link NvFormatException} with reason
 *       {@link NvFormatException.Reason#MISSING MISSING} or
 *       {@link NvFormatException.Reason#WRONG_TYPE WRONG_TYPE}.</li>
 * </ul>
 * {@link #has(String)} and {@link #typeOf(String)} look at a name regardless of type.
 *
 * <p>Unsigned values come back in the next wider Java type ({@code uint8} and {@code uint16}
 * as int, {@code uint32} as long); {@code uint64} comes back as the raw 64 bits in a long
 * (use {@link Long#toUnsignedString(long)}). Names and strings are UTF-8 (the reference's are
 * ASCII); a name that is not valid UTF-8 reads back with U+FFFD from {@link #nameAt(int)} and
 * cannot be found by a lookup. An empty name (namesize 1) is accepted, as by the reference,
 * though {@link NvWriter} never writes one.
 */
public final class NvMessage {
    /** Ints per entry in {@link #index}: offset, type byte | namesize << 8, dsize. */
    private static final int SLOT = 3;
    private static final int[] NO_ENTRIES = new int[0];

    // Final for every message but a reused one ({@link #reused}), whose fields are rebound per frame.
    private ByteBuffer data;
    private int[] index;
    private int count;
    private int length;
    /** Whether this message is one of a frame decoder's reused views. */
    private final boolean reused;
    /** For a reused view: whether it holds a decoded blob (false before the first and after {@link #invalidate}). */
    private boolean valid;

    private NvMessage(ByteBuffer data, int[] index, int count, int length) {
        this.data = data;
        this.index = index;
        this.count = count;
        this.length = length;
        this.reused = false;
        this.valid = true;
    }

    private NvMessage() {
        this.data = ByteBuffer.wrap(new byte[64]).order(ByteOrder.LITTLE_ENDIAN);
        this.index = new int[8 * SLOT];
        this.reused = true;
    }

    /**
     * A view that one owner (a connection's frame decoder) decodes blob after blob into, with
     * no allocation once its arrays have grown to the largest blob seen: the data path's
     * flyweight. Lifetime: a blob's values are readable from {@link #rebindBuffer} +
     * {@link #decodeReused} until {@link #invalidate} or the next {@link #rebindBuffer};
     * after {@link #invalidate}, every read throws {@link IllegalStateException}, so a
     * reader that kept the view too long fails loudly instead of reading the next blob. Array
     * getters return slices of the shared bytes: copy what must outlive the view. Not
     * thread-safe: its owner hands it on with a happens-before edge (a channel's event loop).
     */
    public static NvMessage reusable() {
        return new NvMessage();
    }

    /**
     * The array into which the owner copies the next blob's {@code size} bytes, from index 0;
     * invalidates what this view held.
     *
     * @throws IllegalStateException on a message that {@link #reusable} did not make
     */
    public byte[] rebindBuffer(int size) {
        requireReused();
        valid = false;
        if (data.capacity() < size) {
            data = ByteBuffer.wrap(new byte[Math.max(size, data.capacity() * 2)]).order(ByteOrder.LITTLE_ENDIAN);
        }
        return data.array();
    }

    /**
     * Decodes the first {@code size} bytes of {@link #rebindBuffer}'s array into this view, as
     * {@link #decode(byte[])} would decode a copy of them.
     *
     * @throws NvFormatException as {@link #decode(ByteBuffer)}; the view stays invalid
     */
    public void decodeReused(int size) throws NvFormatException {
        requireReused();
        valid = false;
        data.limit(size);
        int n = NvValidation.validate(data);
        if (index.length < n * SLOT) {
            index = new int[n * SLOT];
        }
        length = fillIndex(data, index, n);
        count = n;
        valid = true;
    }

    /** Ends a reused view's current blob: every read from now on throws until the next decode. */
    public void invalidate() {
        requireReused();
        valid = false;
    }

    /** A message of its own with {@code nv}'s entries: what to keep of a reused view. */
    public static NvMessage copyOf(NvMessage nv) {
        byte[] blob = new byte[nv.length()];
        nv.data.get(0, blob);
        try {
            return decode(blob);
        } catch (NvFormatException e) {
            throw new IllegalStateException("a decoded nv no longer decodes", e);
        }
    }

    /** Whether this is a {@link #reusable} view. */
    public boolean isReused() {
        return reused;
    }

    private void requireReused() {
        if (!reused) {
            throw new IllegalStateException("not a reusable nv view");
        }
    }

    /**
     * Decodes the bytes between {@code blob}'s position and limit, without moving them. The
     * walk stops at a zero type byte; everything after it is ignored (§5.3 rule 1).
     *
     * @throws NvFormatException (reason MALFORMED) for any violation of §5.3; no other
     *         exception comes out for any content
     */
    public static NvMessage decode(ByteBuffer blob) throws NvFormatException {
        return decodeView(blob.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Decodes a whole array that the message may keep as it is: one read-only wrapper, no
     * slice (a frame decoder's fresh copy of each received nv). The array must not change
     * afterwards.
     *
     * @throws NvFormatException as {@link #decode(ByteBuffer)}
     */
    public static NvMessage decode(byte[] blob) throws NvFormatException {
        // one wrapper per frame, not two: nothing here writes through it, and the only views
        // handed out (payloadAt) are made read-only one by one
        return decodeView(ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** {@code data}: little-endian, the blob from 0 to its limit, never written through. */
    private static NvMessage decodeView(ByteBuffer data) throws NvFormatException {
        int count = NvValidation.validate(data);
        int[] index = count == 0 ? NO_ENTRIES : new int[count * SLOT];
        int length = fillIndex(data, index, count);
        return new NvMessage(data, index, count, length);
    }

    /** Indexes {@code count} validated entries; returns the bytes they cover. */
    private static int fillIndex(ByteBuffer data, int[] index, int count) {
        int off = 0;
        for (int i = 0; i < count; i++) {
            int typeByte = data.get(off) & 0xff;
            int namesize = data.get(off + 1) & 0xff;
            int dsize = data.getInt(off + 2);
            index[i * SLOT] = off;
            index[i * SLOT + 1] = typeByte | namesize << 8;
            index[i * SLOT + 2] = dsize;
            off += NvValidation.entrySize(namesize, dsize & 0xffff_ffffL);
        }
        return off;
    }

    // ---- entries by position ---------------------------------------------------------------

    /** Number of entries. */
    public int size() {
        if (!valid) {
            throw new IllegalStateException("nv view read after its frame was released");
        }
        return count;
    }

    /** Bytes covered by the entries, i.e. the blob without whatever followed a zero type byte. */
    public int length() {
        size();
        return length;
    }

    public String nameAt(int i) {
        int off = offsetAt(i);
        int namesize = namesizeAt(i);
        byte[] bytes = new byte[namesize - 1];
        data.get(off + 6, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public NvType typeAt(int i) {
        return NvType.fromCode(index[checked(i) * SLOT + 1] & NvType.TYPE_MASK);
    }

    /** Whether the entry's type byte carried the 0x80 host-order flag (read like any other). */
    public boolean hostOrderAt(int i) {
        return (index[checked(i) * SLOT + 1] & NvType.ORDER_HOST) != 0;
    }

    /**
     * The entry's payload as a read-only little-endian slice of the blob: {@code dsize} bytes,
     * a string's terminating NUL included.
     */
    public ByteBuffer payloadAt(int i) {
        return data.slice(payloadOffset(i), index[checked(i) * SLOT + 2]).asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A scalar entry's value: signed types sign-extended, unsigned ones zero-extended,
     * {@code uint64} as raw bits.
     *
     * @throws IllegalArgumentException if the entry is not a scalar
     */
    public long longAt(int i) {
        NvType type = typeAt(i);
        if (!type.isScalar()) {
            throw new IllegalArgumentException("nv entry " + i + " is a " + type.displayName());
        }
        return scalar(i);
    }

    /**
     * A string entry's value.
     *
     * @throws IllegalArgumentException if the entry is not a string
     */
    public String stringAt(int i) {
        NvType type = typeAt(i);
        if (!type.isString()) {
            throw new IllegalArgumentException("nv entry " + i + " is a " + type.displayName());
        }
        return string(i);
    }

    // ---- lookups by name (§5.4) -------------------------------------------------------------

    /** Position of the first entry named {@code name}, or -1. */
    public int indexOf(String name) {
        if (isAscii(name)) {
            // Every protocol name: compared in place, so a lookup allocates nothing (one per field per request).
            int n = size();
            for (int i = 0; i < n; i++) {
                if (namesizeAt(i) - 1 == name.length() && asciiNameEquals(offsetAt(i) + 6, name)) {
                    return i;
                }
            }
            return -1;
        }
        byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
        int n = size();
        for (int i = 0; i < n; i++) {
            if (namesizeAt(i) - 1 == wanted.length && nameEquals(offsetAt(i) + 6, wanted)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether an entry with this name exists, whatever its type ({@code nv_exists}). */
    public boolean has(String name) {
        return indexOf(name) >= 0;
    }

    /** The type of the first entry with this name, or null when there is none. */
    public NvType typeOf(String name) {
        int i = indexOf(name);
        return i < 0 ? null : typeAt(i);
    }

    public byte getInt8(String name) {
        return (byte) lenientScalar(name, NvType.INT8);
    }

    public int getUint8(String name) {
        return (int) lenientScalar(name, NvType.UINT8);
    }

    public short getInt16(String name) {
        return (short) lenientScalar(name, NvType.INT16);
    }

    public int getUint16(String name) {
        return (int) lenientScalar(name, NvType.UINT16);
    }

    public int getInt32(String name) {
        return (int) lenientScalar(name, NvType.INT32);
    }

    public long getUint32(String name) {
        return lenientScalar(name, NvType.UINT32);
    }

    public long getInt64(String name) {
        return lenientScalar(name, NvType.INT64);
    }

    public long getUint64(String name) {
        return lenientScalar(name, NvType.UINT64);
    }

    /** The string, or null when missing or of another type. */
    public String getString(String name) {
        int i = lenient(name, NvType.STRING);
        return i < 0 ? null : string(i);
    }

    public ByteBuffer getInt8Array(String name) {
        return lenientArray(name, NvType.INT8_ARRAY);
    }

    public ByteBuffer getUint8Array(String name) {
        return lenientArray(name, NvType.UINT8_ARRAY);
    }

    public ByteBuffer getInt16Array(String name) {
        return lenientArray(name, NvType.INT16_ARRAY);
    }

    public ByteBuffer getUint16Array(String name) {
        return lenientArray(name, NvType.UINT16_ARRAY);
    }

    public ByteBuffer getInt32Array(String name) {
        return lenientArray(name, NvType.INT32_ARRAY);
    }

    public ByteBuffer getUint32Array(String name) {
        return lenientArray(name, NvType.UINT32_ARRAY);
    }

    public ByteBuffer getInt64Array(String name) {
        return lenientArray(name, NvType.INT64_ARRAY);
    }

    public ByteBuffer getUint64Array(String name) {
        return lenientArray(name, NvType.UINT64_ARRAY);
    }

    public byte requireInt8(String name) throws NvFormatException {
        return (byte) scalar(require(name, NvType.INT8));
    }

    public int requireUint8(String name) throws NvFormatException {
        return (int) scalar(require(name, NvType.UINT8));
    }

    public short requireInt16(String name) throws NvFormatException {
        return (short) scalar(require(name, NvType.INT16));
    }

    public int requireUint16(String name) throws NvFormatException {
        return (int) scalar(require(name, NvType.UINT16));
    }

    public int requireInt32(String name) throws NvFormatException {
        return (int) scalar(require(name, NvType.INT32));
    }

    public long requireUint32(String name) throws NvFormatException {
        return scalar(require(name, NvType.UINT32));
    }

    public long requireInt64(String name) throws NvFormatException {
        return scalar(require(name, NvType.INT64));
    }

    public long requireUint64(String name) throws NvFormatException {
        return scalar(require(name, NvType.UINT64));
    }

    public String requireString(String name) throws NvFormatException {
        return string(require(name, NvType.STRING));
    }

    public ByteBuffer requireInt8Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.INT8_ARRAY));
    }

    public ByteBuffer requireUint8Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.UINT8_ARRAY));
    }

    public ByteBuffer requireInt16Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.INT16_ARRAY));
    }

    public ByteBuffer requireUint16Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.UINT16_ARRAY));
    }

    public ByteBuffer requireInt32Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.INT32_ARRAY));
    }

    public ByteBuffer requireUint32Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.UINT32_ARRAY));
    }

    public ByteBuffer requireInt64Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.INT64_ARRAY));
    }

    public ByteBuffer requireUint64Array(String name) throws NvFormatException {
        return payloadAt(require(name, NvType.UINT64_ARRAY));
    }

    // ---- dump -------------------------------------------------------------------------------

    /**
     * One line per entry in the reference {@code nv_dump()} format: two spaces, the name, the
     * type in parentheses, a colon, then the value ({@code "  size(uint32): 4096"}); array
     * elements follow one by one, each after a space ({@code "  hash(uint8 array): 8 216"}).
     */
    public String dump() {
        StringBuilder sb = new StringBuilder();
        int n = size();
        for (int i = 0; i < n; i++) {
            NvType type = typeAt(i);
            sb.append("  ").append(nameAt(i)).append('(').append(type.displayName()).append("):");
            if (type.isScalar()) {
                sb.append(' ').append(format(type, scalar(i)));
            } else if (type.isString()) {
                sb.append(' ').append(string(i));
            } else {
                int width = type.elementSize();
                int at = payloadOffset(i);
                int elements = index[i * SLOT + 2] / width;
                for (int e = 0; e < elements; e++) {
                    sb.append(' ').append(format(type, readLe(at + e * width, width,
                            type.isSigned())));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Same as {@link #dump()}. */
    @Override
    public String toString() {
        return dump();
    }

    // ---- internals --------------------------------------------------------------------------

    private int checked(int i) {
        Objects.checkIndex(i, size());
        return i;
    }

    private int offsetAt(int i) {
        return index[checked(i) * SLOT];
    }

    private int namesizeAt(int i) {
        return (index[checked(i) * SLOT + 1] >>> 8) & 0xff;
    }

    private int payloadOffset(int i) {
        return offsetAt(i) + 6 + (int) NvWriter.roundup8(namesizeAt(i));
    }

    private static boolean isAscii(String name) {
        for (int k = 0; k < name.length(); k++) {
            if (name.charAt(k) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private boolean asciiNameEquals(int at, String wanted) {
        for (int k = 0; k < wanted.length(); k++) {
            if (data.get(at + k) != (byte) wanted.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private boolean nameEquals(int at, byte[] wanted) {
        for (int k = 0; k < wanted.length; k++) {
            if (data.get(at + k) != wanted[k]) {
                return false;
            }
        }
        return true;
    }

    private long scalar(int i) {
        NvType type = typeAt(i);
        return readLe(payloadOffset(i), type.elementSize(), type.isSigned());
    }

    private String string(int i) {
        byte[] bytes = new byte[index[i * SLOT + 2] - 1];
        data.get(payloadOffset(i), bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private long readLe(int at, int width, boolean signed) {
        switch (width) {
            case 1:
                return signed ? data.get(at) : data.get(at) & 0xffL;
            case 2:
                return signed ? data.getShort(at) : data.getShort(at) & 0xffffL;
            case 4:
                return signed ? data.getInt(at) : data.getInt(at) & 0xffff_ffffL;
            default:
                return data.getLong(at);
        }
    }

    private static String format(NvType type, long value) {
        boolean unsigned64 = type == NvType.UINT64 || type == NvType.UINT64_ARRAY;
        return unsigned64 ? Long.toUnsignedString(value) : Long.toString(value);
    }

    private int lenient(String name, NvType type) {
        int i = indexOf(name);
        return i >= 0 && typeAt(i) == type ? i : -1;
    }

    private long lenientScalar(String name, NvType type) {
        int i = lenient(name, type);
        return i < 0 ? 0 : scalar(i);
    }

    private ByteBuffer lenientArray(String name, NvType type) {
        int i = lenient(name, type);
        return i < 0 ? null : payloadAt(i);
    }

    private int require(String name, NvType type) throws NvFormatException {
        int i = indexOf(name);
        if (i < 0) {
            throw new NvFormatException(NvFormatException.Reason.MISSING,
                    "nv field '" + name + "' is missing");
        }
        NvType actual = typeAt(i);
        if (actual != type) {
            throw new NvFormatException(NvFormatException.Reason.WRONG_TYPE, "nv field '" + name
                    + "' is " + actual.displayName() + ", expected " + type.displayName());
        }
        return i;
    }
}
