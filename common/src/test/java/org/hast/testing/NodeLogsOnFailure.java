package org.hast.testing;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The node directories of {@link HastCluster}s: when a test fails, prints where they are (each
 * node's {@code hastd.log} is in {@code <dir>/node?/}) and keeps them; when it passes (or is
 * skipped), deletes them. Directories of clusters a class creates outside its tests
 * ({@code @BeforeAll}) go after the class, unless one of its tests failed. Safe with classes
 * running in parallel: each test touches only what it made ({@link NodeDirectories}).
 * Registered for every integration test by {@code it/src/test/resources/META-INF/services}
 * (JUnit's extension auto-detection), and may still be named in {@code @ExtendWith}.
 */
public final class NodeLogsOnFailure implements BeforeAllCallback, BeforeEachCallback, TestWatcher,
        AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NodeLogsOnFailure.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        NodeDirectories.ownedBy(context.getUniqueId());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        NodeDirectories.ownedBy(context.getUniqueId());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        classOf(context).getStore(NS).put("failed", true);
        for (Path dir : NodeDirectories.release(context.getUniqueId())) {
            System.err.println("FAILED " + context.getDisplayName() + ": node logs kept in " + dir
                    + "/node{A,B}/hastd.log");
        }
        backToClass(context);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        NodeDirectories.release(context.getUniqueId()).forEach(TestFiles::deleteTree);
        backToClass(context);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        NodeDirectories.release(context.getUniqueId()).forEach(TestFiles::deleteTree);
        backToClass(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        boolean failed = Boolean.TRUE.equals(context.getStore(NS).get("failed", Boolean.class));
        for (Path dir : NodeDirectories.release(context.getUniqueId())) {
            if (failed) {
                System.err.println("FAILED " + context.getDisplayName() + ": node logs kept in " + dir
                        + "/node{A,B}/hastd.log");
            } else {
                TestFiles.deleteTree(dir);
            }
        }
    }

    /** Clusters made after a test (in {@code @AfterAll}) belong to its class again. */
    private static void backToClass(ExtensionContext context) {
        NodeDirectories.ownedBy(classOf(context).getUniqueId());
    }

    /** The test class's context (a parameterised test's invocation sits below its template). */
    private static ExtensionContext classOf(ExtensionContext context) {
        ExtensionContext at = context;
        while (at.getTestMethod().isPresent() && at.getParent().isPresent()) {
            at = at.getParent().get();
        }
        return at;
    }
}
