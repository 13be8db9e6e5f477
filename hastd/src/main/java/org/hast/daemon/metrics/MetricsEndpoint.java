package org.hast.daemon.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import org.hast.conf.MetricsAddress;
import org.hast.daemon.process.FatalThreads;

/** The {@code metrics} statement's HTTP endpoint: {@code /metrics} in the Prometheus text format. */
public final class MetricsEndpoint implements AutoCloseable {
    private final String address;
    private final HTTPServer server;
    private final ExecutorService threads;

    private MetricsEndpoint(String address, HTTPServer server, ExecutorService threads) {
        this.address = address;
        this.server = server;
        this.threads = threads;
    }

    /** Serves the figures of {@code targets} at {@code address} (the statement's argument). */
    public static MetricsEndpoint open(String address, Supplier<List<ScrapeTarget>> targets) throws IOException {
        MetricsAddress where;
        try {
            where = MetricsAddress.parse(address);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new HastMetrics(targets));
        // Two scrapes at once are plenty; each waits for its workers, never the daemon's threads.
        ExecutorService threads = Executors.newFixedThreadPool(2, FatalThreads.factory("metrics-http"));
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(InetAddress.getByName(where.host()))
                    .port(where.port()).registry(registry).executorService(threads).buildAndStart();
            return new MetricsEndpoint(address, server, threads);
        } catch (IOException | RuntimeException e) {
            threads.shutdownNow();
            throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    public String address() {
        return address;
    }

    /** The bound port (the configured one, or the one picked for port 0 in tests). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.stop();
        threads.shutdownNow();
    }
}
