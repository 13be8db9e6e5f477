package org.hast.ctl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.jr.ob.JSON;

import org.hast.nv.NvMessage;

/**
 * {@code hastctl status --json} and {@code list --json}: one JSON document for every resource
 * of an extended status reply, schema {@value #SCHEMA} (docs/json-status.md,
 * docs/json-status.schema.json). Fields the reply lacks (a resource without a worker) are null.
 */
final class StatusJson {
    static final String SCHEMA = "hast-status/1";
    private static final JSON WRITER = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, JSON.Feature.WRITE_NULL_PROPERTIES);

    private StatusJson() {
    }

    /** The document for {@code reply}, with uptimes counted to {@code nowMillis}. */
    static String format(NvMessage reply, long nowMillis) {
        List<Object> resources = new ArrayList<>();
        for (int i = 0; ; i++) {
            String name = reply.getString("resource" + i);
            if (name == null) {
                break;
            }
            resources.add(resource(reply, i, name, nowMillis));
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("schema", SCHEMA);
        document.put("resources", resources);
        try {
            return WRITER.asString(document) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("JSON of plain maps cannot fail", e);
        }
    }

    private static Map<String, Object> resource(NvMessage reply, int i, String name, long nowMillis) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        int error = reply.getInt16("error" + i);
        r.put("error", error);
        if (error != 0 && reply.getString("role" + i) == null) {
            return r;
        }
        r.put("role", reply.getString("role" + i));
        r.put("provname", reply.getString("provname" + i));
        r.put("localpath", reply.getString("localpath" + i));
        r.put("remoteaddr", reply.getString("remoteaddr" + i));
        r.put("sourceaddr", reply.getString("sourceaddr" + i));
        r.put("replication", reply.getString("replication" + i));
        r.put("checksum", reply.getString("checksum" + i));
        r.put("compression", reply.getString("compression" + i));
        String status = reply.getString("status" + i);
        r.put("status", status);
        boolean answered = status != null;
        r.put("extentsize", answered ? reply.getUint32("extentsize" + i) : null);
        r.put("keepdirty", answered ? reply.getUint32("keepdirty" + i) : null);
        r.put("dirty", answered ? u64(reply, "dirty", i) : null);
        r.put("statistics", answered ? statistics(reply, i) : null);
        r.put("connection", answered ? connection(reply, i) : null);
        r.put("sync", answered ? sync(reply, i) : null);
        r.put("verify", answered ? verify(reply, i) : null);
        r.put("worker", worker(reply, i, nowMillis));
        r.put("split_brains", answered ? u64(reply, "x_split_brains", i) : null);
        r.put("last_error", lastError(reply, i));
        return r;
    }

    private static Map<String, Object> statistics(NvMessage reply, int i) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("reads", u64(reply, "stat_read", i));
        s.put("writes", u64(reply, "stat_write", i));
        s.put("deletes", u64(reply, "stat_delete", i));
        s.put("flushes", u64(reply, "stat_flush", i));
        s.put("activemap_updates", u64(reply, "stat_activemap_update", i));
        s.put("read_bytes", u64(reply, "x_read_bytes", i));
        s.put("write_bytes", u64(reply, "x_write_bytes", i));
        s.put("delete_bytes", u64(reply, "x_delete_bytes", i));
        Map<String, Object> errors = new LinkedHashMap<>();
        errors.put("read", u64(reply, "stat_read_error", i));
        errors.put("write", u64(reply, "stat_write_error", i));
        errors.put("delete", u64(reply, "stat_delete_error", i));
        errors.put("flush", u64(reply, "stat_flush_error", i));
        s.put("local_errors", errors);
        Map<String, Object> queues = new LinkedHashMap<>();
        for (String queue : new String[] {"local", "send", "recv", "done", "idle"}) {
            queues.put(queue, u64(reply, queue + "_queue_size", i));
        }
        s.put("queues", queues);
        return s;
    }

    private static Map<String, Object> connection(NvMessage reply, int i) {
        Map<String, Object> c = new LinkedHashMap<>();
        String state = reply.getString("x_connection" + i);
        c.put("state", state == null ? "down" : state);
        c.put("since", time(reply, "x_connection_since", i));
        int version = reply.getUint8("x_proto_version" + i);
        c.put("protocol_version", version == 0 ? null : version);
        c.put("reconnects", u64(reply, "x_reconnects", i));
        return c;
    }

    private static Map<String, Object> sync(NvMessage reply, int i) {
        Map<String, Object> s = new LinkedHashMap<>();
        boolean running = reply.has("x_sync_total" + i);
        s.put("state", running ? "running" : "idle");
        s.put("direction", reply.getString("x_sync_direction" + i));
        s.put("done_bytes", running ? u64(reply, "x_sync_done", i) : null);
        s.put("total_bytes", running ? u64(reply, "x_sync_total", i) : null);
        s.put("rate_bytes_per_second", running ? u64(reply, "x_sync_rate", i) : null);
        long eta = reply.getInt64("x_sync_eta" + i);
        s.put("eta_seconds", running && eta >= 0 ? eta : null);
        // A primary's settings (docs/integrity.md); null from a secondary or an older hastd.
        s.put("mode", reply.getString("syncmode" + i));
        boolean paced = reply.has("syncrate" + i) && reply.getUint64("syncrate" + i) > 0;
        s.put("rate_limit_bytes_per_second", paced ? u64(reply, "syncrate", i) : null);
        boolean adaptive = reply.has("syncrate_latency_us" + i);
        s.put("write_latency_us", adaptive ? u64(reply, "syncrate_latency_us", i) : null);
        return s;
    }

    /** Online verify on a primary (docs/integrity.md); null where no verify can run. */
    private static Map<String, Object> verify(NvMessage reply, int i) {
        String state = reply.getString("verify_state" + i);
        if (state == null) {
            return null;
        }
        boolean started = !"idle".equals(state);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("state", state);
        v.put("repair", started ? reply.getUint8("verify_repair" + i) != 0 : null);
        v.put("done_bytes", started ? u64(reply, "verify_done", i) : null);
        v.put("total_bytes", started ? u64(reply, "verify_total", i) : null);
        v.put("rate_bytes_per_second", started ? u64(reply, "verify_rate", i) : null);
        v.put("mismatches", started ? u64(reply, "verify_mismatches", i) : null);
        List<Long> blocks = new ArrayList<>();
        ByteBuffer offsets = reply.getUint64Array("verify_blocks" + i);
        while (offsets != null && offsets.remaining() >= Long.BYTES) {
            blocks.add(offsets.getLong());
        }
        v.put("mismatched_blocks", started ? blocks : null);
        return v;
    }

    private static Map<String, Object> worker(NvMessage reply, int i, long nowMillis) {
        int pid = reply.getInt32("workerpid" + i);
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("pid", pid == 0 ? null : pid);
        long started = reply.getUint64("x_worker_start" + i);
        w.put("started", started == 0 ? null : Instant.ofEpochMilli(started).toString());
        w.put("uptime_seconds", started == 0 ? null : Math.max(0, (nowMillis - started) / 1000));
        w.put("restarts", reply.getUint32("x_restarts" + i));
        return w;
    }

    private static Map<String, Object> lastError(NvMessage reply, int i) {
        String message = reply.getString("x_last_error" + i);
        if (message == null) {
            return null;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("time", time(reply, "x_last_error_time", i));
        return e;
    }

    private static String time(NvMessage reply, String field, int i) {
        long millis = reply.getUint64(field + i);
        return millis == 0 ? null : Instant.ofEpochMilli(millis).toString();
    }

    /** uint64 as a JSON number: above 2^63 (never, for byte counts) it would read negative. */
    private static long u64(NvMessage reply, String field, int i) {
        return reply.getUint64(field + i);
    }
}
