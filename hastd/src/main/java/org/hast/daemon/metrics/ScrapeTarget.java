package org.hast.daemon.metrics;

import java.util.concurrent.CompletableFuture;

import org.hast.nv.NvMessage;

/**
 * One resource as a scrape sees it: what the main process knows, and its worker's status
 * answer ({@code null} without a worker; fails after the per-worker limit).
 */
public record ScrapeTarget(String resource, String role, int restarts, CompletableFuture<NvMessage> status) {
}
