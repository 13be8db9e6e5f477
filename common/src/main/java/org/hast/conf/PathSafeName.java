package org.hast.conf;

/**
 * Resource and provider names become paths ({@code <devdir>/<name>}, run directories, socket
 * names), so they must be one harmless path component: no {@code /}, no leading {@code .}
 * (which also rules out {@code .} and {@code ..}) and no control characters. The length
 * limits are checked separately, where the reference checks them.
 */
final class PathSafeName {
    private PathSafeName() {
    }

    /** Why {@code name} cannot be used, for a message like "Resource name x y.", or null. */
    static String problem(String name) {
        if (name.startsWith(".")) {
            return "may not start with '.'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/') {
                return "may not contain '/'";
            }
            if (c < 0x20 || c == 0x7f) {
                return "may not contain control characters";
            }
        }
        return null;
    }
}
