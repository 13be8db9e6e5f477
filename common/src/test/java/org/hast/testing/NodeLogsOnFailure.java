package org.hast.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The node directories of {@link HastCluster}s: when a test fails, prints where they are (each
 * node's {@code hastd.log} is in {@code <dir>/node?/}) and keeps them; when it passes (or is
 * skipped), deletes them. Directories of clusters a class creates outside its tests
 * ({@code @BeforeAll}) go after the class, unless one of its tests failed. Registered for every
 * integration test by {@code it/src/test/resources/META-INF/services} (JUnit's extension
 * auto-detection), and may still be named in {@code @ExtendWith}.
 */
public final class NodeLogsOnFailure implements BeforeAllCallback, BeforeEachCallback, TestWatcher,
        AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NodeLogsOnFailure.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("classStart", HastCluster.CREATED.size());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", HastCluster.CREATED.size());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        classOf(context).getStore(NS).put("failed", true);
        for (Path dir : createdSince(context, "before")) {
            System.err.println("FAILED " + context.getDisplayName() + ": node logs kept in " + dir
                    + "/node{A,B}/hastd.log");
        }
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        createdSince(context, "before").forEach(TestFiles::deleteTree);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        createdSince(context, "before").forEach(TestFiles::deleteTree);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!Boolean.TRUE.equals(context.getStore(NS).get("failed", Boolean.class))) {
            createdSince(context, "classStart").forEach(TestFiles::deleteTree);
        }
    }

    /** The test class's context (a parameterised test's invocation sits below its template). */
    private static ExtensionContext classOf(ExtensionContext context) {
        ExtensionContext at = context;
        while (at.getTestMethod().isPresent() && at.getParent().isPresent()) {
            at = at.getParent().get();
        }
        return at;
    }

    private static List<Path> createdSince(ExtensionContext context, String key) {
        Integer before = context.getStore(NS).get(key, Integer.class);
        List<Path> all = new ArrayList<>(HastCluster.CREATED);
        return all.subList(before == null ? all.size() : Math.min(before, all.size()), all.size());
    }
}
