package org.hast.ctl;

import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.control.ControlCodes;
import org.hast.nv.NvMessage;
import org.hast.nv.NvWriter;
import org.hast.proto.Role;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl role <init|primary|secondary> all|name...} (spec §2.3). Prints nothing on
 * success; exits with the first per-resource error hastd reports.
 */
@Command(name = "role")
final class RoleCommand extends CtlCommand {
    @Parameters(paramLabel = "role-and-names")
    List<String> arguments = new ArrayList<>();

    @Override
    boolean argumentsValid() {
        return !arguments.isEmpty();
    }

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        // The role word is checked only after the configuration (a broken config wins).
        Role role = Role.fromName(arguments.get(0));
        List<String> names = arguments.subList(1, arguments.size());
        if (role == null || names.isEmpty()) {
            Usage.print(context.err(), context.program());
            return org.hast.util.SysExits.EX_USAGE;
        }
        NvWriter request = new NvWriter();
        request.addUint8("cmd", ControlCodes.CMD_SETROLE);
        request.addUint8("role", role.code());
        ResourceNames.add(request, names);
        NvMessage reply = ControlClient.exchange(config.controlAddress(), request);
        int result = 0;
        for (int i = 0; ; i++) {
            String name = reply.getString("resource" + i);
            if (name == null) {
                break;
            }
            context.log().setResource(name);
            int error = reply.getInt16("error" + i);
            if (error != 0) {
                if (result == 0) {
                    result = error;
                }
                context.log().warning("Received error " + error + " from hastd.");
                continue;
            }
            String oldRole = ResourceNames.orNull(reply.getString("role" + i));
            if (oldRole.equals(role.displayName())) {
                context.log().debug(2, "Role unchanged (" + oldRole + ").");
            } else {
                context.log().debug(1, "Role changed from " + oldRole + " to " + role.displayName() + ".");
            }
        }
        context.log().setResource(null);
        return result;
    }
}
