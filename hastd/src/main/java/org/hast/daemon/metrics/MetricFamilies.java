package org.hast.daemon.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * Collects one scrape's data points by metric family (each family once, whatever the number of
 * resources), then hands them to the client library as snapshots; the library writes the
 * exposition format.
 */
final class MetricFamilies {
    private final Map<String, GaugeSnapshot.Builder> gauges = new LinkedHashMap<>();
    private final Map<String, CounterSnapshot.Builder> counters = new LinkedHashMap<>();
    private final Map<String, HistogramSnapshot.Builder> histograms = new LinkedHashMap<>();

    void gauge(String name, String help, double value, String... labels) {
        gauges.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(help))
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels))
                        .build());
    }

    /** {@code name} without {@code _total}: the text format adds it. */
    void counter(String name, String help, double value, String... labels) {
        counters.computeIfAbsent(name, n -> CounterSnapshot.builder().name(n).help(help))
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value)
                        .labels(Labels.of(labels)).build());
    }

    /** {@code counts}: per bucket, not cumulative; the last bound is +Inf. */
    void histogram(String name, String help, double[] upperBounds, long[] counts, double sum, String... labels) {
        histograms.computeIfAbsent(name, n -> HistogramSnapshot.builder().name(n).help(help))
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(upperBounds, counts))
                        .sum(sum).labels(Labels.of(labels)).build());
    }

    MetricSnapshots build() {
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        gauges.values().forEach(b -> all.metricSnapshot(b.build()));
        counters.values().forEach(b -> all.metricSnapshot(b.build()));
        histograms.values().forEach(b -> all.metricSnapshot(b.build()));
        return all.build();
    }
}
