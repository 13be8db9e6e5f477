package org.hast.testing;

import java.io.ByteArrayOutputStream;

/** Hex helpers for byte vectors written by hand, one annotated line per field. */
public final class Hex {
    private Hex() {
    }

    /**
     * Bytes from lines of hex pairs; spaces are ignored and everything after {@code //} or
     * {@code #} on a line is a comment.
     */
    public static byte[] bytes(String... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : lines) {
            String hex = line;
            int comment = hex.indexOf("//");
            if (comment >= 0) {
                hex = hex.substring(0, comment);
            }
            comment = hex.indexOf('#');
            if (comment >= 0) {
                hex = hex.substring(0, comment);
            }
            hex = hex.replaceAll("\\s+", "");
            if (hex.length() % 2 != 0) {
                throw new IllegalArgumentException("odd number of hex digits: " + line);
            }
            for (int i = 0; i < hex.length(); i += 2) {
                out.write(Integer.parseInt(hex.substring(i, i + 2), 16));
            }
        }
        return out.toByteArray();
    }

    public static String of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    public static String of(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (i > from) {
                sb.append(i % 16 == 0 ? '\n' : ' ');
            }
            sb.append(String.format("%02x", bytes[i] & 0xff));
        }
        return sb.toString();
    }
}
