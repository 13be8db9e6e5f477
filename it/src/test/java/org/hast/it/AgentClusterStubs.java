package org.hast.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stand-ins for hastctl, crm_node, crm_attribute and attrd_updater, so that the OCF agent's
 * promotion logic can be driven through the exact interleavings a cluster only hits by chance.
 * They model the one property of Pacemaker that matters here: pacemaker-attrd holds a transient
 * attribute as soon as an update returns, while the CIB (what the scheduler and
 * {@code crm_attribute --query} read) follows later; {@link #lagCib} holds the CIB back.
 */
final class AgentClusterStubs {
    private static final String STUB = """
            #!/bin/sh
            # One script for every stand-in; $0's name says which. State: one file per value.
            s=$STUB_STATE
            me=${OCF_RESKEY_CRM_meta_on_node:?}
            case ${0##*/} in
            hastctl)
                case $1 in
                list) printf '%s:\\n  role: %s\\n  status: %s\\n  dirty: %s (x)\\n' \\
                        "$4" "$(cat "$s/role")" "$(cat "$s/status")" "$(cat "$s/dirty")" ;;
                role) echo "$4" >"$s/role" ;;
                esac
                exit 0 ;;
            crm_node)
                case $1 in
                -n) echo "$me" ;;
                -l) printf '1 nodea member\\n2 nodeb member\\n' ;;
                esac
                exit 0 ;;
            esac
            node=$me name= value= action=
            while [ $# -gt 0 ]; do
                case $1 in
                -p) name=master-${OCF_RESOURCE_INSTANCE%%:*} ;;
                --name|-n) name=$2; shift ;;
                --node|-N) node=$2; shift ;;
                --lifetime|-l) shift ;;
                --update=*) action=update value=${1#--update=} ;;
                --update|-U|-v) action=update value=$2; shift ;;
                --delete|-D) action=delete ;;
                --query|-Q|-G) action=query ;;
                esac
                shift
            done
            mkdir -p "$s/attrd" "$s/cib"
            case $action in
            update)
                echo "$value" >"$s/attrd/$node.$name"
                [ -e "$s/cib-lags" ] || cp "$s/attrd/$node.$name" "$s/cib/$node.$name" ;;
            delete)
                rm -f "$s/attrd/$node.$name"
                [ -e "$s/cib-lags" ] || rm -f "$s/cib/$node.$name" ;;
            query)
                if [ "${0##*/}" = attrd_updater ]; then
                    [ -e "$s/attrd/$node.$name" ] || exit 6
                    echo "name=\\"$name\\" host=\\"$node\\" value=\\"$(cat "$s/attrd/$node.$name")\\""
                else
                    [ -e "$s/cib/$node.$name" ] || exit 6
                    cat "$s/cib/$node.$name"
                fi ;;
            esac
            """;

    private final Path dir;
    private final Path state;

    private AgentClusterStubs(Path dir) {
        this.dir = dir;
        this.state = dir.resolve("state");
    }

    /** Installs the stand-ins in {@code dir}; this node's hast role starts as {@code role}. */
    static AgentClusterStubs create(Path dir, String role, String status, long dirty) throws IOException {
        AgentClusterStubs stubs = new AgentClusterStubs(dir);
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(stubs.state);
        for (String tool : List.of("hastctl", "crm_node", "crm_attribute", "attrd_updater")) {
            Path script = bin.resolve(tool);
            Files.writeString(script, STUB);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(dir.resolve("hast.conf"), "# the stub hastctl reads nothing\n");
        stubs.write("role", role);
        stubs.write("status", status);
        stubs.write("dirty", Long.toString(dirty));
        return stubs;
    }

    /** From now on, updates reach attrd but not the CIB. */
    void lagCib() throws IOException {
        write("cib-lags", "");
    }

    /** A transient attribute in attrd and, unless {@code attrdOnly}, already in the CIB. */
    void setAttribute(String node, String name, String value, boolean attrdOnly) throws IOException {
        Files.createDirectories(state.resolve("attrd"));
        Files.createDirectories(state.resolve("cib"));
        Files.writeString(state.resolve("attrd").resolve(node + "." + name), value + "\n");
        if (!attrdOnly) {
            Files.writeString(state.resolve("cib").resolve(node + "." + name), value + "\n");
        }
    }

    /** The value of a transient attribute in the CIB, what the scheduler decides on. */
    Optional<String> cibAttribute(String node, String name) throws IOException {
        Path file = state.resolve("cib").resolve(node + "." + name);
        return Files.exists(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
    }

    String role() throws IOException {
        return Files.readString(state.resolve("role")).strip();
    }

    /** The agent's environment for {@code action} on cluster node {@code node}. */
    Map<String, String> environment(String node) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        env.put("HA_SBIN_DIR", dir.resolve("bin").toString());
        env.put("HA_RSCTMP", dir.resolve("rsctmp").toString());
        env.put("STUB_STATE", state.toString());
        env.put("OCF_ROOT", "/usr/lib/ocf");
        env.put("OCF_RESOURCE_INSTANCE", "hast:0");
        env.put("OCF_RESKEY_crm_feature_set", "3.16.2");
        env.put("OCF_RESKEY_CRM_meta_on_node", node);
        env.put("OCF_RESKEY_resource", SyncChecks.RESOURCE);
        env.put("OCF_RESKEY_config", dir.resolve("hast.conf").toString());
        env.put("OCF_RESKEY_hastctl", dir.resolve("bin/hastctl").toString());
        env.put("OCF_RESKEY_device_wait", "0");
        return env;
    }

    /** One of the stub hastctl's values: role, status or dirty. */
    void write(String name, String value) throws IOException {
        Files.writeString(state.resolve(name), value + "\n");
    }
}
