package org.hast.it.failover;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of one failover, read from the new primary's hast-failover log: detection (from the
 * fault to the start of keepalived's notify_master), then each phase the script timed (wait for
 * the old secondary worker, role change, device, fsck, mount), and the total up to the mounted
 * file system.
 */
record FailoverTimes(Map<String, Long> millis) {
    private static final Pattern LINE = Pattern.compile("^(\\d+\\.\\d+) hast-failover: (.*)$");
    private static final Pattern PHASE = Pattern.compile("\\(phase (\\w+) (\\d+) ms\\)");

    /** Parses the lines logged after {@code faultEpochNanos}; null if no promotion finished. */
    static FailoverTimes parse(String log, long faultEpochNanos) {
        Map<String, Long> parts = new LinkedHashMap<>();
        Long started = null;
        for (String line : log.lines().toList()) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            long at = epochNanos(m.group(1));
            if (at < faultEpochNanos) {
                continue;
            }
            String text = m.group(2);
            if (started == null && text.contains(": promote ")) {
                started = at;
                parts.put("detection", (at - faultEpochNanos) / 1_000_000);
            }
            Matcher phase = PHASE.matcher(text);
            if (started != null && phase.find()) {
                parts.put(phase.group(1), Long.parseLong(phase.group(2)));
            }
            if (started != null && text.contains("mounted on")) {
                parts.put("total", (at - faultEpochNanos) / 1_000_000);
                return new FailoverTimes(parts);
            }
        }
        return null;
    }

    private static long epochNanos(String secondsDotNanos) {
        int dot = secondsDotNanos.indexOf('.');
        String nanos = (secondsDotNanos.substring(dot + 1) + "000000000").substring(0, 9);
        return Long.parseLong(secondsDotNanos.substring(0, dot)) * 1_000_000_000L + Long.parseLong(nanos);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        millis.forEach((k, v) -> text.append(text.isEmpty() ? "" : ", ").append(k).append(' ').append(v).append(" ms"));
        return text.toString();
    }
}
