package org.hast.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.Processes;
import org.hast.testing.Requirements;
import org.hast.role.WorkerStats;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 item 3 without a daemon: the exposition of a primary's answer, a worker that never
 * answers (times out alone) and a resource without a worker, checked by {@code promtool check
 * metrics} (Debian's prometheus package) and for the values themselves.
 */
class HastMetricsTest {
    /** What a primary worker answers (status plus the x_ fields), from real statistics. */
    static NvMessage primaryAnswer() throws Exception {
        WorkerStats stats = new WorkerStats();
        stats.write.add(3);
        stats.writeBytes.add(3 * 4096);
        stats.readError.increment();
        stats.localLatency.record(80_000);        // 80 µs: the 100 µs bucket
        stats.localLatency.record(3_000_000_000L); // 3 s: +Inf
        stats.remoteLatency.record(700_000);
        NvWriter nv = new NvWriter();
        nv.addString("status", "complete");
        nv.addUint32("extentsize", 2 << 20);
        nv.addUint32("keepdirty", 64);
        nv.addUint64("dirty", 6 << 20);
        stats.addTo(nv);
        for (String queue : new String[] {"idle", "local", "send", "recv", "done"}) {
            nv.addUint64(queue + "_queue_size", queue.equals("idle") ? 255 : 1);
        }
        nv.addUint8("x_proto_version", 2);
        stats.addExtendedTo(nv);
        nv.addUint64("x_inflight", 2);
        nv.addString("x_sync_direction", "primary-to-secondary");
        nv.addUint64("x_sync_done", 1 << 20);
        nv.addUint64("x_sync_total", 7 << 20);
        nv.addUint64("x_sync_rate", 1 << 19);
        nv.addInt64("x_sync_eta", 12);
        nv.addString("x_connection", "up");
        nv.addUint64("x_reconnects", 1);
        nv.addUint64("x_split_brains", 0);
        nv.addInt16("error", 0);
        return NvMessage.decode(nv.encode());
    }

    private static String scrape(List<ScrapeTarget> targets) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, new HastMetrics(() -> targets).collect());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aStuckWorkerTimesOutAloneAndTheTextPassesPromtool() throws Exception {
        CompletableFuture<NvMessage> never = new CompletableFuture<NvMessage>()
                .orTimeout(Duration.ofMillis(200).toMillis(), TimeUnit.MILLISECONDS);
        String text = scrape(List.of(
                new ScrapeTarget("r0", "primary", 2, CompletableFuture.completedFuture(primaryAnswer())),
                new ScrapeTarget("stuck", "primary", 0, never),
                new ScrapeTarget("idle", "init", 0, null)));
        assertTrue(text.contains("hast_worker_up{resource=\"r0\"} 1"), text);
        assertTrue(text.contains("hast_worker_up{resource=\"stuck\"} 0"), text);
        assertTrue(text.contains("hast_worker_up{resource=\"idle\"} 0"), text);
        assertTrue(text.contains("hast_role{resource=\"idle\",role=\"init\"} 1"), text);
        assertTrue(text.contains("hast_requests_total{op=\"write\",resource=\"r0\"} 3"), text);
        assertTrue(text.contains("hast_request_bytes_total{op=\"write\",resource=\"r0\"} 12288"), text);
        assertTrue(text.contains("hast_local_errors_total{kind=\"read\",resource=\"r0\"} 1"), text);
        assertTrue(text.contains("hast_worker_restarts_total{resource=\"r0\"} 2"), text);
        assertTrue(text.contains("hast_sync_total_bytes{resource=\"r0\"} 7340032"), text);
        assertTrue(text.contains("hast_local_latency_seconds_bucket{resource=\"r0\",le=\"1.0E-4\"} 1"), text);
        assertTrue(text.contains("hast_local_latency_seconds_bucket{resource=\"r0\",le=\"+Inf\"} 2"), text);
        assertTrue(text.contains("hast_local_latency_seconds_count{resource=\"r0\"} 2"), text);
        assertTrue(!text.contains("resource=\"stuck\",op="), "no figures of the stuck worker:\n" + text);
        promtoolAccepts(text);
    }

    /** docs/grafana/hast.json and docs/metrics.md name only series that /metrics has. */
    @Test
    void theDashboardAndTheDocsUseExportedSeries() throws Exception {
        String text = scrape(List.of(
                new ScrapeTarget("r0", "primary", 0, CompletableFuture.completedFuture(primaryAnswer()))));
        java.util.Set<String> exported = new java.util.TreeSet<>();
        java.util.regex.Matcher series = java.util.regex.Pattern.compile("(?m)^(hast_[a-z_]+)").matcher(text);
        while (series.find()) {
            exported.add(series.group(1));
        }
        for (String doc : new String[] {"docs/grafana/hast.json", "docs/metrics.md"}) {
            String content = Files.readString(Requirements.projectRoot().resolve(doc));
            java.util.regex.Matcher used = java.util.regex.Pattern.compile("hast_[a-z_]+[a-z]").matcher(content);
            java.util.Set<String> unknown = new java.util.TreeSet<>();
            while (used.find()) {
                String name = used.group();
                if (!exported.contains(name) && !exported.contains(name + "_bucket")) {
                    unknown.add(name);
                }
            }
            assertEquals(java.util.Set.of(), unknown, doc + " names series /metrics lacks; it has " + exported);
        }
    }

    /** {@code promtool check metrics} on {@code text}: exit 0 (lint warnings fail too). */
    static void promtoolAccepts(String text) throws Exception {
        Path promtool = Requirements.requireTool("promtool", "prometheus");
        Path file = Files.createTempFile("hast-metrics-", ".txt");
        try {
            Files.writeString(file, text);
            Processes.Result r = Processes.run(List.of("sh", "-c", promtool + " check metrics < " + file),
                    Map.of(), Duration.ofSeconds(60));
            assertEquals(0, r.exitCode(), "promtool check metrics: " + r + "\n" + text);
        } finally {
            Files.delete(file);
        }
    }
}
