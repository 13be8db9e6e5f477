package org.hast.ctl;

import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.util.HumanNumber;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hastctl list [all|name...]}: the verbose per-resource report of spec §2.4. */
@Command(name = "list")
final class ListCommand extends CtlCommand {
    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Option(names = "--json", description = "One JSON document (docs/json-status.md) instead of the text.")
    boolean json;

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        NvMessage reply = ControlClient.exchange(config.controlAddress(), statusRequest(names, json));
        if (json) {
            context.out().print(StatusJson.format(reply, System.currentTimeMillis()));
            return firstError(reply);
        }
        StringBuilder text = new StringBuilder(1024);
        int result = format(reply, text);
        context.out().print(text);
        return result;
    }

    /** {@code extended}: also our {@code x_} fields (a FreeBSD hastd ignores the flag). */
    static NvWriter statusRequest(List<String> names, boolean extended) {
        NvWriter request = new NvWriter();
        request.addUint8("cmd", ControlCodes.CMD_STATUS);
        ResourceNames.add(request, names);
        if (extended) {
            request.addUint8(ControlCodes.STATUS_EXTENDED, 1);
        }
        return request;
    }

    /** The exit code of a reply: its first per-resource error, as the text report returns. */
    static int firstError(NvMessage reply) {
        for (int i = 0; reply.getString("resource" + i) != null; i++) {
            int error = reply.getInt16("error" + i);
            if (error != 0) {
                return error;
            }
        }
        return 0;
    }

    /** Appends the report for every resource in the reply; returns the first per-resource error. */
    static int format(NvMessage reply, StringBuilder text) {
        int result = 0;
        for (int i = 0; ; i++) {
            String name = reply.getString("resource" + i);
            if (name == null) {
                break;
            }
            text.append(name).append(":\n");
            int error = reply.getInt16("error" + i);
            if (error != 0) {
                if (result == 0) {
                    result = error;
                }
                text.append("  error: ").append(error).append('\n');
                continue;
            }
            long extentSize = reply.getUint32("extentsize" + i);
            long dirty = reply.getUint64("dirty" + i);
            line(text, "  role: ", string(reply, "role", i));
            line(text, "  provname: ", string(reply, "provname", i));
            line(text, "  localpath: ", string(reply, "localpath", i));
            line(text, "  extentsize: ", extentSize + " (" + HumanNumber.bytes(extentSize) + ")");
            line(text, "  keepdirty: ", Long.toString(reply.getUint32("keepdirty" + i)));
            line(text, "  remoteaddr: ", string(reply, "remoteaddr", i));
            String source = reply.getString("sourceaddr" + i);
            if (source != null) {
                line(text, "  sourceaddr: ", source);
            }
            line(text, "  replication: ", string(reply, "replication", i));
            String status = reply.getString("status" + i);
            if (status != null) {
                line(text, "  status: ", status);
            }
            int pid = reply.getInt32("workerpid" + i);
            if (pid != 0) {
                line(text, "  workerpid: ", Integer.toString(pid));
            }
            line(text, "  dirty: ", Long.toUnsignedString(dirty) + " (" + HumanNumber.bytes(dirty) + ")");
            text.append("  statistics:\n");
            line(text, "    reads: ", u64(reply, "stat_read", i));
            line(text, "    writes: ", u64(reply, "stat_write", i));
            line(text, "    deletes: ", u64(reply, "stat_delete", i));
            line(text, "    flushes: ", u64(reply, "stat_flush", i));
            line(text, "    activemap updates: ", u64(reply, "stat_activemap_update", i));
            line(text, "    local errors: ", "read: " + u64(reply, "stat_read_error", i)
                    + ", write: " + u64(reply, "stat_write_error", i)
                    + ", delete: " + u64(reply, "stat_delete_error", i)
                    + ", flush: " + u64(reply, "stat_flush_error", i));
            line(text, "    queues: ", "local: " + u64(reply, "local_queue_size", i)
                    + ", send: " + u64(reply, "send_queue_size", i)
                    + ", recv: " + u64(reply, "recv_queue_size", i)
                    + ", done: " + u64(reply, "done_queue_size", i)
                    + ", idle: " + u64(reply, "idle_queue_size", i));
        }
        return result;
    }

    private static void line(StringBuilder text, String label, String value) {
        text.append(label).append(value).append('\n');
    }

    private static String string(NvMessage reply, String field, int index) {
        return ResourceNames.orNull(reply.getString(field + index));
    }

    private static String u64(NvMessage reply, String field, int index) {
        return Long.toUnsignedString(reply.getUint64(field + index));
    }
}
