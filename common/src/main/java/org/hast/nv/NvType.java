package org.hast.nv;

/**
 * The seventeen nv value types (spec §5.2). The code is the low seven bits of an entry's type
 * byte; {@link #displayName()} is the word the reference {@code nv_dump()} prints in
 * parentheses after a field name.
 */
public enum NvType {
    INT8(1, "int8", 1, Kind.SCALAR),
    UINT8(2, "uint8", 1, Kind.SCALAR),
    INT16(3, "int16", 2, Kind.SCALAR),
    UINT16(4, "uint16", 2, Kind.SCALAR),
    INT32(5, "int32", 4, Kind.SCALAR),
    UINT32(6, "uint32", 4, Kind.SCALAR),
    INT64(7, "int64", 8, Kind.SCALAR),
    UINT64(8, "uint64", 8, Kind.SCALAR),
    INT8_ARRAY(9, "int8 array", 1, Kind.ARRAY),
    UINT8_ARRAY(10, "uint8 array", 1, Kind.ARRAY),
    INT16_ARRAY(11, "int16 array", 2, Kind.ARRAY),
    UINT16_ARRAY(12, "uint16 array", 2, Kind.ARRAY),
    INT32_ARRAY(13, "int32 array", 4, Kind.ARRAY),
    UINT32_ARRAY(14, "uint32 array", 4, Kind.ARRAY),
    INT64_ARRAY(15, "int64 array", 8, Kind.ARRAY),
    UINT64_ARRAY(16, "uint64 array", 8, Kind.ARRAY),
    STRING(17, "string", 1, Kind.STRING);

    /** Bits of the type byte that hold the type code ({@code NV_TYPE_MASK}). */
    public static final int TYPE_MASK = 0x7f;
    /**
     * The "host order" flag ({@code NV_ORDER_HOST}). Never set by a sender; a receiver on a
     * little-endian host reads such an entry exactly like one without it.
     */
    public static final int ORDER_HOST = 0x80;

    private enum Kind { SCALAR, ARRAY, STRING }

    private static final NvType[] BY_CODE = new NvType[18];

    static {
        for (NvType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;
    private final String displayName;
    private final int elementSize;
    private final Kind kind;

    NvType(int code, String displayName, int elementSize, Kind kind) {
        this.code = code;
        this.displayName = displayName;
        this.elementSize = elementSize;
        this.kind = kind;
    }

    /** The wire code, 1..17. */
    public int code() {
        return code;
    }

    /** The name {@code nv_dump()} prints: {@code uint32}, {@code uint8 array}, {@code string}. */
    public String displayName() {
        return displayName;
    }

    /**
     * Bytes per element: the exact payload size of a scalar, the element width of an array, 1
     * for a string (whose payload is its bytes plus one NUL).
     */
    public int elementSize() {
        return elementSize;
    }

    public boolean isScalar() {
        return kind == Kind.SCALAR;
    }

    public boolean isArray() {
        return kind == Kind.ARRAY;
    }

    public boolean isString() {
        return kind == Kind.STRING;
    }

    /** Whether values of this type are read as signed numbers. */
    public boolean isSigned() {
        switch (this) {
            case INT8: case INT16: case INT32: case INT64:
            case INT8_ARRAY: case INT16_ARRAY: case INT32_ARRAY: case INT64_ARRAY:
                return true;
            default:
                return false;
        }
    }

    /** The type with this code (the 0x80 flag already masked off), or null outside 1..17. */
    public static NvType fromCode(int code) {
        if (code < 1 || code >= BY_CODE.length) {
            return null;
        }
        return BY_CODE[code];
    }
}
