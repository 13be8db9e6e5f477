package org.hast.ctl;

import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.nv.NvMessage;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hastctl status [all|name...]}: one terse row per resource (spec §2.5). */
@Command(name = "status")
final class StatusCommand extends CtlCommand {
    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Option(names = "--json", description = "One JSON document (docs/json-status.md) instead of the text.")
    boolean json;

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        NvMessage reply = ControlClient.exchange(config.controlAddress(), ListCommand.statusRequest(names, json));
        if (json) {
            context.out().print(StatusJson.format(reply, System.currentTimeMillis()));
            return ListCommand.firstError(reply);
        }
        StringBuilder text = new StringBuilder(256);
        int result = format(reply, text);
        context.out().print(text);
        return result;
    }

    /** Appends the table (header only when there is a row); returns the first per-resource error. */
    static int format(NvMessage reply, StringBuilder text) {
        int result = 0;
        if (reply.getString("resource0") == null) {
            return result;
        }
        text.append("Name\tStatus\t Role\t\tComponents\n");
        for (int i = 0; ; i++) {
            String name = reply.getString("resource" + i);
            if (name == null) {
                break;
            }
            text.append(name).append('\t');
            int error = reply.getInt16("error" + i);
            if (error != 0) {
                if (result == 0) {
                    result = error;
                }
                text.append("ERR").append(error).append('\n');
                continue;
            }
            String status = reply.getString("status" + i);
            text.append(String.format("%-9s", status != null ? status : "-"));
            text.append(String.format("%-15s", ResourceNames.orNull(reply.getString("role" + i))));
            text.append(ResourceNames.orNull(reply.getString("localpath" + i))).append('\t');
            text.append(ResourceNames.orNull(reply.getString("remoteaddr" + i))).append('\n');
        }
        return result;
    }
}
