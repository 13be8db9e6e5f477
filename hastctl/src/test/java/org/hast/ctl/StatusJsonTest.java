package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import com.fasterxml.jackson.jr.ob.JSON;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.testing.JsonStatusSchema;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 item 1: the document of every state a resource can be in validates against
 * docs/json-status.schema.json and carries what that state knows. The replies are built as
 * hastd's extended status reply lays them out (StatusReply, WorkerObservation, the workers'
 * extendedStatus); ObservabilityIT checks real ones.
 */
class StatusJsonTest {
    private static final long NOW = 1_780_000_000_000L;

    private static void common(NvWriter nv, String role, int pid) {
        nv.addString("resource0", "r0");
        nv.addString("provname0", "r0");
        nv.addString("localpath0", "/dev/sdb");
        nv.addString("remoteaddr0", "tcp4://10.0.0.2");
        nv.addString("replication0", "memsync");
        nv.addString("checksum0", "none");
        nv.addString("compression0", "hole");
        nv.addString("role0", role);
        nv.addInt32("workerpid0", pid);
        nv.addUint32("x_restarts0", 1);
    }

    private static void worker(NvWriter nv, String status, String connection) {
        nv.addString("status0", status);
        nv.addUint64("dirty0", 4 << 20);
        nv.addUint32("extentsize0", 2 << 20);
        nv.addUint32("keepdirty0", 64);
        for (String f : new String[] {"stat_read", "stat_write", "stat_delete", "stat_flush", "stat_activemap_update",
            "stat_read_error", "stat_write_error", "stat_delete_error", "stat_flush_error", "idle_queue_size",
            "local_queue_size", "send_queue_size", "recv_queue_size", "done_queue_size"}) {
            nv.addUint64(f + "0", 7);
        }
        nv.addUint8("x_proto_version0", 2);
        nv.addUint64("x_read_bytes0", 4096);
        nv.addUint64("x_write_bytes0", 8192);
        nv.addUint64("x_delete_bytes0", 0);
        nv.addUint64("x_inflight0", 0);
        nv.addUint64("x_worker_start0", NOW - 90_000);
        nv.addString("x_connection0", connection);
        nv.addUint64("x_connection_since0", NOW - 30_000);
        nv.addUint64("x_reconnects0", 0);
        nv.addUint64("x_split_brains0", 0);
    }

    private static Map<String, Object> check(NvWriter nv, String what) throws Exception {
        String json = StatusJson.format(NvMessage.decode(nv.encode()), NOW);
        JsonStatusSchema.assertValid(json, what);
        Map<String, Object> document = JSON.std.mapFrom(json);
        assertEquals("hast-status/1", document.get("schema"));
        @SuppressWarnings("unchecked")
        Map<String, Object> resource = ((java.util.List<Map<String, Object>>) document.get("resources")).get(0);
        return resource;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.get(key);
    }

    @Test
    void init() throws Exception {
        NvWriter nv = new NvWriter();
        common(nv, "init", 0);
        Map<String, Object> r = check(nv, "init");
        assertEquals("init", r.get("role"));
        assertEquals(null, r.get("status"));
        assertEquals(null, map(r, "worker").get("pid"));
        assertEquals(null, r.get("connection"));
    }

    @Test
    void primaryDegradedAndComplete() throws Exception {
        NvWriter degraded = new NvWriter();
        common(degraded, "primary", 4242);
        worker(degraded, "degraded", "down");
        Map<String, Object> r = check(degraded, "primary degraded");
        assertEquals("down", map(r, "connection").get("state"));
        assertEquals(90, map(r, "worker").get("uptime_seconds"));
        assertEquals(4242, map(r, "worker").get("pid"));

        NvWriter complete = new NvWriter();
        common(complete, "primary", 4242);
        worker(complete, "complete", "up");
        r = check(complete, "primary complete");
        assertEquals("up", map(r, "connection").get("state"));
        assertEquals(2, map(r, "connection").get("protocol_version"));
        assertEquals("idle", map(r, "sync").get("state"));
        assertEquals(8192, map(r, "statistics").get("write_bytes"));
    }

    @Test
    void syncing() throws Exception {
        NvWriter nv = new NvWriter();
        common(nv, "primary", 4242);
        worker(nv, "complete", "up");
        nv.addString("x_sync_direction0", "primary-to-secondary");
        nv.addUint64("x_sync_done0", 1L << 30);
        nv.addUint64("x_sync_total0", 3L << 30);
        nv.addUint64("x_sync_rate0", 100L << 20);
        nv.addInt64("x_sync_eta0", 21);
        Map<String, Object> sync = map(check(nv, "syncing"), "sync");
        assertEquals("running", sync.get("state"));
        assertEquals(1L << 30, ((Number) sync.get("done_bytes")).longValue());
        assertEquals(21, sync.get("eta_seconds"));
    }

    /** Issue #17: a primary's verify pass and sync settings, as hastd forwards them from the worker. */
    @Test
    void verifyAndSyncSettings() throws Exception {
        NvWriter idle = new NvWriter();
        common(idle, "primary", 4242);
        worker(idle, "complete", "up");
        idle.addString("verify_state0", "idle");
        idle.addString("syncmode0", "plain");
        idle.addUint64("syncrate0", 0);
        Map<String, Object> r = check(idle, "verify idle");
        assertEquals("idle", map(r, "verify").get("state"));
        assertEquals(null, map(r, "verify").get("mismatches"));
        assertEquals("plain", map(r, "sync").get("mode"));
        assertEquals(null, map(r, "sync").get("rate_limit_bytes_per_second"), "0 = unlimited");

        NvWriter done = new NvWriter();
        common(done, "primary", 4242);
        worker(done, "complete", "up");
        done.addString("verify_state0", "complete");
        done.addUint8("verify_repair0", 1);
        done.addUint64("verify_done0", 40L << 20);
        done.addUint64("verify_total0", 40L << 20);
        done.addUint64("verify_rate0", 21L << 20);
        done.addUint64("verify_mismatches0", 2);
        done.addUint64Array("verify_blocks0", new long[] {1056768, 20975616});
        done.addString("syncmode0", "checksum");
        done.addUint64("syncrate0", 64L << 20);
        done.addUint64("syncrate_latency_us0", 1800);
        r = check(done, "verify complete");
        Map<String, Object> verify = map(r, "verify");
        assertEquals("complete", verify.get("state"));
        assertEquals(true, verify.get("repair"));
        assertEquals(2, verify.get("mismatches"));
        assertEquals(java.util.List.of(1056768, 20975616), verify.get("mismatched_blocks"));
        assertEquals(21L << 20, ((Number) verify.get("rate_bytes_per_second")).longValue());
        assertEquals("checksum", map(r, "sync").get("mode"));
        assertEquals(64L << 20, ((Number) map(r, "sync").get("rate_limit_bytes_per_second")).longValue());
        assertEquals(1800, map(r, "sync").get("write_latency_us"));

        NvWriter secondary = new NvWriter();
        common(secondary, "secondary", 4343);
        worker(secondary, "complete", "up");
        r = check(secondary, "secondary without verify");
        assertEquals(null, r.get("verify"));
        assertEquals(null, map(r, "sync").get("mode"));
    }

    @Test
    void secondaryAndSplitBrain() throws Exception {
        NvWriter secondary = new NvWriter();
        common(secondary, "secondary", 4343);
        worker(secondary, "complete", "up");
        assertEquals("secondary", check(secondary, "secondary").get("role"));

        NvWriter split = new NvWriter();
        common(split, "primary", 4242);
        worker(split, "degraded", "down");
        split.addString("x_last_error0", "split-brain");
        split.addUint64("x_last_error_time0", NOW - 5_000);
        Map<String, Object> r = check(split, "split-brain");
        assertEquals("split-brain", map(r, "last_error").get("message"));
    }

    @Test
    void aWorkerThatDidNotAnswerAndAnUnknownName() throws Exception {
        NvWriter nv = new NvWriter();
        common(nv, "primary", 4242);
        nv.addInt16("error0", 110);
        nv.addString("x_last_error0", "worker status timed out");
        nv.addString("resource1", "nosuch");
        nv.addInt16("error1", 1);
        String json = StatusJson.format(NvMessage.decode(nv.encode()), NOW);
        JsonStatusSchema.assertValid(json, "timeout and unknown");
        assertTrue(json.contains("\"error\" : 110") || json.contains("\"error\":110"), json);
        assertEquals(110, ListCommand.firstError(NvMessage.decode(nv.encode())));
    }
}
