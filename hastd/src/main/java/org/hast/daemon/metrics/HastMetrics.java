package org.hast.daemon.metrics;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import org.hast.nv.NvMessage;
import org.hast.role.LatencyHistogram;

/**
 * The {@code /metrics} figures (docs/metrics.md), gathered on each scrape: the main process's
 * own (role, restarts) and every worker's status answer, each worker within its own time
 * limit, so a stuck worker only loses its own figures ({@code hast_worker_up} 0).
 */
public final class HastMetrics implements MultiCollector {
    private static final String[] OPS = {"read", "write", "delete", "flush"};
    private static final String[] ERROR_KINDS = {"read", "write", "delete", "flush"};
    private static final String[] QUEUES = {"idle", "local", "send", "recv", "done"};
    private static final double[] LATENCY_BOUNDS_SECONDS = latencyBounds();

    private final Supplier<List<ScrapeTarget>> targets;

    public HastMetrics(Supplier<List<ScrapeTarget>> targets) {
        this.targets = targets;
    }

    @Override
    public MetricSnapshots collect() {
        MetricFamilies out = new MetricFamilies();
        for (ScrapeTarget target : targets.get()) {
            String r = target.resource();
            out.gauge("hast_role", "The resource's role (1 for the current one).", 1, "resource", r,
                    "role", target.role());
            out.counter("hast_worker_restarts", "Workers restarted after a crash.", target.restarts(),
                    "resource", r);
            NvMessage status = answer(target);
            out.gauge("hast_worker_up", "1 if the resource's worker answered this scrape.", status == null ? 0 : 1,
                    "resource", r);
            if (status != null) {
                worker(out, r, status);
            }
        }
        return out.build();
    }

    private static NvMessage answer(ScrapeTarget target) {
        if (target.status() == null) {
            return null;
        }
        try {
            NvMessage status = target.status().join();
            return status.getInt16("error") == 0 ? status : null;
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return null;
        }
    }

    private static void worker(MetricFamilies out, String r, NvMessage s) {
        out.gauge("hast_status_complete", "1 when both replication connections are up (status complete).",
                "complete".equals(s.getString("status")) ? 1 : 0, "resource", r);
        out.gauge("hast_connected", "1 while connected to the peer.",
                "up".equals(s.getString("x_connection")) ? 1 : 0, "resource", r);
        out.gauge("hast_dirty_bytes", "Bytes marked dirty in the activemap.", s.getUint64("dirty"), "resource", r);
        boolean syncing = s.has("x_sync_total");
        out.gauge("hast_sync_active", "1 while a synchronisation runs.", syncing ? 1 : 0, "resource", r);
        out.gauge("hast_sync_done_bytes", "Bytes copied by the running synchronisation.",
                s.getUint64("x_sync_done"), "resource", r);
        out.gauge("hast_sync_total_bytes", "Bytes the running synchronisation copies in all.",
                s.getUint64("x_sync_total"), "resource", r);
        out.gauge("hast_sync_rate_bytes_per_second", "Average rate of the running synchronisation.",
                s.getUint64("x_sync_rate"), "resource", r);
        for (String op : OPS) {
            out.counter("hast_requests", "Requests by operation.", s.getUint64("stat_" + op), "resource", r,
                    "op", op);
        }
        for (String op : new String[] {"read", "write", "delete"}) {
            out.counter("hast_request_bytes", "Request bytes by operation.", s.getUint64("x_" + op + "_bytes"),
                    "resource", r, "op", op);
        }
        for (String kind : ERROR_KINDS) {
            out.counter("hast_local_errors", "Local component errors by kind.",
                    s.getUint64("stat_" + kind + "_error"), "resource", r, "kind", kind);
        }
        out.counter("hast_activemap_updates", "Activemap writes to the local component.",
                s.getUint64("stat_activemap_update"), "resource", r);
        out.counter("hast_reconnects", "Connections to the peer after the first one.",
                s.getUint64("x_reconnects"), "resource", r);
        out.counter("hast_split_brains", "Split-brain detections.", s.getUint64("x_split_brains"), "resource", r);
        for (String queue : QUEUES) {
            out.gauge("hast_queue_depth", "Requests in each queue (idle: free request slots).",
                    s.getUint64(queue + "_queue_size"), "resource", r, "queue", queue);
        }
        out.gauge("hast_inflight_requests", "Requests being served.", s.getUint64("x_inflight"), "resource", r);
        histogram(out, "hast_local_latency_seconds", "From a request's admission until the local component "
                + "finished it.", s, "x_local_latency", r);
        histogram(out, "hast_remote_latency_seconds", "From a request's admission until the peer answered it.",
                s, "x_remote_latency", r);
    }

    private static void histogram(MetricFamilies out, String name, String help, NvMessage s, String field,
                                  String r) {
        ByteBuffer raw = s.getUint64Array(field + "_buckets");
        if (raw == null || raw.remaining() / 8 != LATENCY_BOUNDS_SECONDS.length) {
            return;
        }
        long[] counts = new long[LATENCY_BOUNDS_SECONDS.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = raw.getLong(raw.position() + 8 * i);
        }
        out.histogram(name, help, LATENCY_BOUNDS_SECONDS, counts, s.getUint64(field + "_sum") / 1e9, "resource", r);
    }

    private static double[] latencyBounds() {
        long[] nanos = LatencyHistogram.BOUNDS_NANOS;
        double[] seconds = new double[nanos.length + 1];
        for (int i = 0; i < nanos.length; i++) {
            seconds[i] = nanos[i] / 1e9;
        }
        seconds[nanos.length] = Double.POSITIVE_INFINITY;
        return seconds;
    }
}
