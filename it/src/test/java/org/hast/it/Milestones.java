package org.hast.it;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Watches a failover from the outside: a thread of its own checks each named condition every
 * 20 ms and keeps the moment it first held, so the parts of a failover (peer lost, role
 * changed, device, fsck, mounted) are timed without the actors having to log them.
 */
final class Milestones implements AutoCloseable {
    private final long origin = System.nanoTime();
    private final Map<String, BooleanSupplier> conditions = new LinkedHashMap<>();
    private final Map<String, Long> reached = new ConcurrentHashMap<>();
    private final Thread thread = new Thread(this::watch, "milestones");
    private volatile boolean stop;

    /** Adds a condition; call before {@link #start}. */
    Milestones when(String name, BooleanSupplier condition) {
        conditions.put(name, condition);
        return this;
    }

    Milestones start() {
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Whether {@code name} has held. */
    boolean reached(String name) {
        return reached.containsKey(name);
    }

    /** Milliseconds from the creation of this object to the first time {@code name} held; -1 if never. */
    long millis(String name) {
        Long at = reached.get(name);
        return at == null ? -1 : (at - origin) / 1_000_000;
    }

    private void watch() {
        while (!stop && reached.size() < conditions.size()) {
            for (Map.Entry<String, BooleanSupplier> c : conditions.entrySet()) {
                if (!reached.containsKey(c.getKey()) && c.getValue().getAsBoolean()) {
                    reached.put(c.getKey(), System.nanoTime());
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(5_000);
    }
}
