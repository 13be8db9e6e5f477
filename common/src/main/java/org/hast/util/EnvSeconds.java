package org.hast.util;

/**
 * An environment variable that shortens one of the reference's periods, so that integration
 * tests do not wait it out each time (hastd(8) documents each): whole seconds from 1 to the
 * reference's value, which applies when the variable is unset.
 */
public final class EnvSeconds {
    private EnvSeconds() {
    }

    /**
     * {@code value} (the variable's, or null when unset) as seconds.
     *
     * @throws IllegalArgumentException naming the variable, when it is not 1 to {@code reference}
     */
    public static int parse(String variable, String value, int reference) {
        if (value == null || value.isEmpty()) {
            return reference;
        }
        int seconds;
        try {
            seconds = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            seconds = 0;
        }
        if (seconds < 1 || seconds > reference) {
            throw new IllegalArgumentException(variable + " must be 1 to " + reference + " seconds, not '"
                    + value + "'");
        }
        return seconds;
    }
}
