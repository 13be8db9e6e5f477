package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;

import org.hast.nv.NvMessage;
import org.hast.util.SysExits;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided replies from whatever answers on hastd's control socket (docs/fuzzing.md),
 * read as hastctl reads them ({@link ControlClient#readReply}) and formatted for
 * {@code status} and {@code list}. A reply that cannot be read is a one-line
 * {@link CtlException} with EX_UNAVAILABLE, or EX_SOFTWARE for a top-level error; an accepted
 * one formats without an exception, one entry per resource, and the exit status is the first
 * per-resource error.
 */
class ControlReplyCoverageFuzzTest {
    @FuzzTest
    void readAndFormat(byte[] input) {
        NvMessage reply;
        try {
            reply = ControlClient.readReply(Channels.newChannel(new ByteArrayInputStream(input)));
        } catch (CtlException e) {
            assertTrue(e.exitCode() == SysExits.EX_UNAVAILABLE || e.exitCode() == SysExits.EX_SOFTWARE,
                    "exit " + e.exitCode());
            assertTrue(e.getMessage() != null && !e.getMessage().contains("\n"), e.getMessage());
            return;
        }
        int resources = 0;
        int firstError = 0;
        while (reply.getString("resource" + resources) != null) {
            if (firstError == 0) {
                firstError = reply.getInt16("error" + resources);
            }
            resources++;
        }
        StringBuilder status = new StringBuilder();
        assertEquals(firstError, StatusCommand.format(reply, status));
        StringBuilder list = new StringBuilder();
        assertEquals(firstError, ListCommand.format(reply, list));
        if (resources == 0) {
            assertEquals("", status.toString());
            assertEquals("", list.toString());
        } else {
            assertTrue(status.toString().startsWith("Name\tStatus\t Role\t\tComponents\n"), status.toString());
        }
    }
}
