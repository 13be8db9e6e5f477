package org.hast.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.hast.testing.HastCluster;
import org.hast.testing.HastNode;
import org.hast.testing.TestCertificates;
import org.junit.jupiter.api.Test;

/**
 * A secondary whose worker JVM starts slower than the primary's {@code timeout} still pairs
 * (docs/startup.md). Each attempt the primary gives up makes the secondary's main process stop
 * the worker it started for that attempt and start another for the next one: with a wait that
 * never grows, the pair never formed. Node B's workers start {@link #START_DELAY_MILLIS} late
 * ({@link SlowStartAgent}); the primary's {@code timeout} is one second. {@code -Xint} was too
 * fast here (under 1 s) and {@code -Xint -Xshare:off} took 2-8 s depending on the load, too
 * close to the timeout on an idle machine for the test to fail reliably without the fix.
 * About 25 s per test.
 */
class SlowSecondaryStartIT {
    private static final String RESOURCE = "r0";
    private static final int TIMEOUT_SECONDS = 1;
    /**
     * Twice the timeout, a sleep whatever the load, so that no attempt at a fixed wait can
     * succeed. With the wait doubling from 1 s the third attempt (4 s) pairs unless the rest of
     * the start takes over 2 s, the fourth (8 s) unless over 6 s (TLS at load 11 did), and the
     * fifth (16 s) still within startPair's 60 s.
     */
    private static final long START_DELAY_MILLIS = 2_000;

    @Test
    void aSecondaryWorkerSlowerThanTheTimeoutStillPairs() throws Exception {
        try (HastCluster cluster = HastCluster.create("slowSecondaryStart", 2)) {
            pairsDespiteSlowStart(cluster, "");
        }
    }

    /** With TLS the worker's first answer is its TLS handshake, which waits as long. */
    @Test
    void overTlsToo() throws Exception {
        try (HastCluster cluster = HastCluster.create("slowSecondaryStartTls", 2)) {
            Path pki = Files.createDirectories(cluster.dir().resolve("pki"));
            TestCertificates ca = TestCertificates.newCa(pki, "ca");
            ca.issue("node", "IP:127.0.0.1", 30);
            pairsDespiteSlowStart(cluster, "tlscert " + pki.resolve("node-cert.pem") + "\ntlskey " + ca.key("node")
                    + "\ntlsca " + ca.caCert() + "\n");
        }
    }

    private static void pairsDespiteSlowStart(HastCluster cluster, String globals) throws Exception {
        cluster.createDisks(32L << 20, RESOURCE);
        cluster.writeConfig(globals + "timeout " + TIMEOUT_SECONDS + "\n", "", RESOURCE);
        HastNode a = cluster.node(0);
        HastNode b = cluster.node(1);
        b.putEnvironment("HAST_WORKER_JVM_OPTIONS", SlowStartAgent.option(cluster.dir(), START_DELAY_MILLIS));
        cluster.startPair(RESOURCE);
        // The premise: the primary did give up on B's worker at least once.
        assertTrue(a.logText().contains("did not answer within " + TIMEOUT_SECONDS + " s"),
                "B's worker answered within the timeout; the test proves nothing\n" + a.logText());
    }
}
