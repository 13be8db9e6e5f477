package org.hast.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.junit.jupiter.api.Test;

/** The extended status reply (docs/json-status.md): which of the worker's own fields hastd forwards. */
class StatusReplyTest {
    @Test
    void forwardsTheExtensionsAndTheIntegrityFieldsWithTheIndex() throws Exception {
        NvWriter worker = new NvWriter();
        worker.addString("status", "complete");
        worker.addUint64("dirty", 0);
        worker.addString("verify_state", "complete");
        worker.addUint64("verify_mismatches", 2);
        worker.addUint64Array("verify_blocks", new long[] {4096, 8192});
        worker.addString("syncmode", "checksum");
        worker.addUint64("syncrate", 16L << 20);
        worker.addUint64("syncrate_latency_us", 900);
        worker.addUint64("x_inflight", 3);
        NvWriter reply = new NvWriter();
        StatusReply.copyExtended(NvMessage.decode(worker.encode()), reply, 2);
        NvMessage forwarded = NvMessage.decode(reply.encode());
        assertEquals("complete", forwarded.getString("verify_state2"));
        assertEquals(2, forwarded.getUint64("verify_mismatches2"));
        ByteBuffer blocks = forwarded.getUint64Array("verify_blocks2");
        assertArrayEquals(new long[] {4096, 8192}, new long[] {blocks.getLong(0), blocks.getLong(8)});
        assertEquals("checksum", forwarded.getString("syncmode2"));
        assertEquals(16L << 20, forwarded.getUint64("syncrate2"));
        assertEquals(900, forwarded.getUint64("syncrate_latency_us2"));
        assertEquals(3, forwarded.getUint64("x_inflight2"));
        assertFalse(forwarded.has("status2"), "the reference's fields are written by writeTo, not copied");
        assertFalse(forwarded.has("dirty2"));
    }

    @Test
    void onlyALiveWorkerThatLetTheTimePassIsSilent() {
        assertFalse(StatusReply.goneRatherThanSilent(true, new java.util.concurrent.TimeoutException()));
        assertTrue(StatusReply.goneRatherThanSilent(false, new java.util.concurrent.TimeoutException()));
        assertTrue(StatusReply.goneRatherThanSilent(true, new java.io.IOException("Broken pipe")),
                "a broken channel is a worker on its way out");
        assertTrue(StatusReply.goneRatherThanSilent(true, new java.nio.channels.ClosedChannelException()));
    }
}
