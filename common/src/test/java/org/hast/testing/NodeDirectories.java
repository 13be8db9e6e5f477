package org.hast.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Which test made which {@link HastCluster} directory. Integration test classes run two at a
 * time, so "the clusters made since this test began" would include a neighbour's; instead each
 * directory is filed under the owner current on the creating thread (and threads it starts):
 * the running test, or its class while {@code @BeforeAll} runs. {@link NodeLogsOnFailure} sets
 * the owner and later keeps or deletes what the owner made.
 */
final class NodeDirectories {
    private static final String UNOWNED = "(no test)";
    private static final InheritableThreadLocal<String> OWNER = new InheritableThreadLocal<>();
    private static final Map<String, List<Path>> BY_OWNER = new ConcurrentHashMap<>();

    private NodeDirectories() {
    }

    static void ownedBy(String owner) {
        OWNER.set(owner);
    }

    static void created(Path dir) {
        String owner = OWNER.get();
        BY_OWNER.computeIfAbsent(owner == null ? UNOWNED : owner, k -> new CopyOnWriteArrayList<>()).add(dir);
    }

    /** The directories {@code owner} made, forgotten from here on. */
    static List<Path> release(String owner) {
        List<Path> dirs = BY_OWNER.remove(owner);
        return dirs == null ? List.of() : List.copyOf(dirs);
    }
}
