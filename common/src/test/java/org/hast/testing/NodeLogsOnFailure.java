package org.hast.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * {@code @ExtendWith(NodeLogsOnFailure.class)}: when a test fails, prints the directories of the
 * clusters it created (each node's {@code hastd.log} is in {@code <dir>/node?/}). Nothing here or
 * in {@link HastCluster} deletes those directories; only {@code mvn clean} does.
 */
public final class NodeLogsOnFailure implements BeforeEachCallback, TestWatcher {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NodeLogsOnFailure.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", HastCluster.CREATED.size());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Integer before = context.getStore(NS).get("before", Integer.class);
        List<Path> all = new ArrayList<>(HastCluster.CREATED);
        List<Path> mine = all.subList(before == null ? 0 : Math.min(before, all.size()), all.size());
        for (Path dir : mine) {
            System.err.println("FAILED " + context.getDisplayName() + ": node logs kept in " + dir
                    + "/node{A,B}/hastd.log");
        }
    }
}
