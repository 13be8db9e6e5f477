package org.hast.util;

/**
 * The two number conversions of FreeBSD's libutil that hastctl's output and options depend on:
 * {@code humanize_number(3)} as hastctl calls it (spec §2.4) and {@code expand_number(3)}
 * (spec §2.1). Ported by behaviour so that {@code hastctl list} and {@code dump} print the
 * same text as the reference, rounding quirks included.
 */
public final class HumanNumber {
    private static final String[] PREFIXES = {"", "K", "M", "G", "T", "P", "E"};
    private static final int MAX_SCALE = 7;
    private static final long DIVISOR = 1024;
    /** ceil(0.95 * 1024): from this remainder on, 9.x rounds to 10. */
    private static final int DIVISOR_DEC_CUT = 973;
    /** hastctl's buffer is 5 bytes including the NUL. */
    private static final int BUFFER_LEN = 5;

    private HumanNumber() {
    }

    /**
     * {@code humanize_number(buf, 5, value, "", HN_AUTOSCALE, HN_NOSPACE | HN_DECIMAL)} followed by
     * the literal {@code B} hastctl prints: 2097152 → {@code 2.0MB}, 65536 → {@code 64KB},
     * 0 → {@code 0B}.
     */
    public static String bytes(long value) {
        return humanize(value) + "B";
    }

    /** The humanize_number part alone, without hastctl's trailing {@code B}. */
    public static String humanize(long value) {
        long quotient = value;
        int sign = 1;
        int baseLen = 2; // one digit and the prefix letter
        if (quotient < 0) {
            sign = -1;
            quotient = -quotient;
            baseLen += 1;
        }
        long max = 1;
        for (int i = BUFFER_LEN - baseLen; i > 0; i--) {
            max *= 10;
        }
        int scale = 0;
        long remainder = 0;
        while ((quotient >= max || (quotient == max - 1
                && (remainder >= DIVISOR_DEC_CUT || remainder >= DIVISOR / 2))) && scale < MAX_SCALE) {
            remainder = quotient % DIVISOR;
            quotient /= DIVISOR;
            scale++;
        }
        String prefix = scale < PREFIXES.length ? PREFIXES[scale] : "";
        String text;
        if (((quotient == 9 && remainder < DIVISOR_DEC_CUT) || quotient < 9) && scale > 0) {
            long tenths = (remainder * 10 + DIVISOR / 2) / DIVISOR;
            long whole = quotient + tenths / 10;
            text = (sign * whole) + "." + (tenths % 10) + prefix;
        } else {
            text = (sign * (quotient + (remainder + DIVISOR / 2) / DIVISOR)) + prefix;
        }
        // snprintf into a 5-byte buffer keeps at most 4 characters.
        return text.length() > BUFFER_LEN - 1 ? text.substring(0, BUFFER_LEN - 1) : text;
    }

    /**
     * {@code expand_number(3)}: an integer in C syntax (decimal, {@code 0x} hex or leading-zero
     * octal, optional sign), optionally followed by one unit letter b, k, m, g, t, p or e
     * (case-insensitive, powers of 1024).
     *
     * @throws NumberFormatException when the text is not such a number or overflows 64 bits
     */
    public static long expand(String text) {
        int pos = 0;
        int len = text.length();
        while (pos < len && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        boolean negative = false;
        if (pos < len && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
            negative = text.charAt(pos) == '-';
            pos++;
        }
        int radix = 10;
        if (pos + 1 < len && text.charAt(pos) == '0'
                && (text.charAt(pos + 1) == 'x' || text.charAt(pos + 1) == 'X')
                && pos + 2 < len && Character.digit(text.charAt(pos + 2), 16) >= 0) {
            radix = 16;
            pos += 2;
        } else if (pos < len && text.charAt(pos) == '0') {
            radix = 8;
        }
        int digitsStart = pos;
        long number = 0;
        while (pos < len && Character.digit(text.charAt(pos), radix) >= 0) {
            number = Math.addExact(Math.multiplyExact(number, radix), Character.digit(text.charAt(pos), radix));
            pos++;
        }
        if (pos == digitsStart) {
            throw new NumberFormatException("no digits in '" + text + "'");
        }
        if (negative) {
            number = -number;
        }
        if (pos == len) {
            return number;
        }
        int shifts = "bkmgtpe".indexOf(Character.toLowerCase(text.charAt(pos)));
        if (shifts < 0 || pos + 1 != len) {
            throw new NumberFormatException("unrecognised unit in '" + text + "'");
        }
        for (int i = 0; i < shifts; i++) {
            number = Math.multiplyExact(number, 1024L);
        }
        return number;
    }
}
