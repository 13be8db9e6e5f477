package org.hast.conf;

import static org.hast.conf.ConfigTesting.BOTH;
import static org.hast.conf.ConfigTesting.FILE;
import static org.hast.conf.ConfigTesting.HASTA;
import static org.hast.conf.ConfigTesting.HASTB;
import static org.hast.conf.ConfigTesting.MINIMAL_RESOURCE;
import static org.hast.conf.ConfigTesting.error;
import static org.hast.conf.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;
import org.hast.testing.Requirements;
import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Semantics of hast.conf (spec §1.3, §1.4, §1.8) and the extensions of decisions §3. */
class ConfigParserTest {

    /** Spec §1.4, verbatim. */
    static final String SPEC_EXAMPLE = String.join("\n",
            "listen tcp://0.0.0.0            # global, accumulates with node listens",
            "on hasta { listen tcp://10.0.0.1:7000 }",
            "resource shared {",
            "    local /dev/da0              # resource-level default for both nodes",
            "    on hasta { remote tcp://10.0.0.2 }",
            "    on hastb { remote tcp://10.0.0.1 }",
            "}",
            "resource tank {",
            "    on hasta { local /dev/mirror/tanka  source tcp://10.0.0.1  remote tcp://10.0.0.2 }",
            "    on hastb { local /dev/mirror/tankb  source tcp://10.0.0.2  remote tcp://10.0.0.1 }",
            "}",
            "");

    @Test
    void specExampleForHasta() throws ConfigException {
        HastConfig config = parse(SPEC_EXAMPLE, HASTA);
        assertEquals(List.of("tcp://0.0.0.0", "tcp://10.0.0.1:7000"), config.listenAddresses());
        assertEquals(List.of("shared", "tank"),
                config.resources().stream().map(ResourceConfig::name).toList());
        ResourceConfig shared = config.resource("shared").orElseThrow();
        assertEquals("shared", shared.providerName());
        assertEquals("/dev/da0", shared.localPath());
        assertEquals("tcp://10.0.0.2", shared.remoteAddress());
        assertEquals("", shared.sourceAddress());
        ResourceConfig tank = config.resource("tank").orElseThrow();
        assertEquals("/dev/mirror/tanka", tank.localPath());
        assertEquals("tcp://10.0.0.1", tank.sourceAddress());
        assertEquals("tcp://10.0.0.2", tank.remoteAddress());
        assertEquals(List.of(), config.warnings());
    }

    @Test
    void specExampleForHastb() throws ConfigException {
        HastConfig config = parse(SPEC_EXAMPLE, HASTB);
        assertEquals(List.of("tcp://0.0.0.0"), config.listenAddresses());
        ResourceConfig shared = config.resource("shared").orElseThrow();
        assertEquals("/dev/da0", shared.localPath());
        assertEquals("tcp://10.0.0.1", shared.remoteAddress());
        ResourceConfig tank = config.resource("tank").orElseThrow();
        assertEquals("/dev/mirror/tankb", tank.localPath());
        assertEquals("tcp://10.0.0.2", tank.sourceAddress());
        assertEquals("tcp://10.0.0.1", tank.remoteAddress());
    }

    @Test
    void defaults() throws ConfigException {
        HastConfig config = parse(MINIMAL_RESOURCE);
        assertEquals(FILE, config.file());
        assertEquals("/var/run/hastctl", config.controlAddress());
        assertEquals("/var/run/hastd.pid", config.pidfile());
        assertEquals("/dev/hast", config.devdir());
        assertEquals("/var/lib/hast", config.statedir());
        assertEquals(List.of("tcp4://0.0.0.0:8457", "tcp6://[::]:8457"), config.listenAddresses());
        ResourceConfig r = config.resources().get(0);
        assertEquals(new ResourceConfig("r0", "r0", "/dev/da0", "tcp://10.0.0.2", "",
                ReplicationMode.MEMSYNC, ChecksumAlgorithm.NONE, Compression.HOLE, 20, "", true,
                DeviceMode.AUTO, "", ExportTls.NONE, LocalIoMode.BUFFERED), r);
        assertTrue(r.hasRemote());
        assertFalse(r.hasSource());
        assertFalse(r.hasExec());
        assertFalse(r.hasExport());
    }

    @Test
    void emptyFileAndEmptyBlocks() throws ConfigException {
        assertEquals(List.of(), parse("").resources());
        assertEquals(List.of(), parse("on hasta { }\non other {}\n").resources());
    }

    @Test
    void resourceBeatsGlobalWhateverTheOrder() throws ConfigException {
        String resource = "resource r0 {\n replication async\n checksum sha256\n compression lzf\n"
                + " timeout 7\n exec /usr/local/sbin/res-hook\n metaflush off\n device fuse\n"
                + " on hasta { local /dev/da0 remote none }\n}\n";
        String globals = "replication fullsync\nchecksum crc32\ncompression none\ntimeout 99\n"
                + "exec /usr/local/sbin/global-hook\nmetaflush on\ndevice nbd\n";
        for (String text : List.of(globals + resource, resource + globals)) {
            ResourceConfig r = parse(text).resources().get(0);
            assertEquals(ReplicationMode.ASYNC, r.replication());
            assertEquals(ChecksumAlgorithm.SHA256, r.checksum());
            assertEquals(Compression.LZF, r.compression());
            assertEquals(7, r.timeoutSeconds());
            assertEquals("/usr/local/sbin/res-hook", r.exec());
            assertFalse(r.metaflush());
            assertEquals(DeviceMode.FUSE, r.device());
            assertEquals("none", r.remoteAddress());
            assertFalse(r.hasRemote());
        }
    }

    @Test
    void globalBeatsDefaultEvenWhenWrittenAfterTheResource() throws ConfigException {
        String text = MINIMAL_RESOURCE + "replication fullsync\nchecksum crc32\ncompression none\n"
                + "timeout 5\nexec /hook\nmetaflush off\ndevice none\n";
        ResourceConfig r = parse(text).resources().get(0);
        assertEquals(ReplicationMode.FULLSYNC, r.replication());
        assertEquals(ChecksumAlgorithm.CRC32, r.checksum());
        assertEquals(Compression.NONE, r.compression());
        assertEquals(5, r.timeoutSeconds());
        assertEquals("/hook", r.exec());
        assertFalse(r.metaflush());
        assertEquals(DeviceMode.NONE, r.device());
    }

    @Test
    void resourceNodeBeatsResourceWhateverTheOrder() throws ConfigException {
        String node = " on hasta { name nodeprov local /dev/node metaflush on remote none"
                + " export uds:///run/node.sock }\n";
        String level = " name resprov\n local /dev/res\n metaflush off\n export tcp://127.0.0.1:10809\n";
        for (String body : List.of(level + node, node + level)) {
            ResourceConfig r = parse("metaflush off\nresource r0 {\n" + body + "}\n")
                    .resources().get(0);
            assertEquals("nodeprov", r.providerName());
            assertEquals("/dev/node", r.localPath());
            assertTrue(r.metaflush());
            assertEquals("uds:///run/node.sock", r.exportAddress());
        }
    }

    @Test
    void resourceLevelValuesApplyWhenTheNodeSetsNone() throws ConfigException {
        ResourceConfig r = parse("resource r0 {\n name resprov\n local /dev/res\n metaflush off\n"
                + " export tcp://127.0.0.1:10809\n on hasta { remote none }\n}\n").resources().get(0);
        assertEquals("resprov", r.providerName());
        assertEquals("/dev/res", r.localPath());
        assertFalse(r.metaflush());
        assertEquals("tcp://127.0.0.1:10809", r.exportAddress());
    }

    @Test
    void nodeBeatsGlobalForControlPidfileDevdirWhateverTheOrder() throws ConfigException {
        String node = "on hasta { control uds:///run/a.sock pidfile /run/a.pid devdir /dev/a }\n";
        String globals = "control /run/g.sock\npidfile /run/g.pid\ndevdir /dev/g\n";
        for (String text : List.of(node + globals, globals + node)) {
            HastConfig config = parse(text);
            assertEquals("uds:///run/a.sock", config.controlAddress());
            assertEquals("/run/a.pid", config.pidfile());
            assertEquals("/dev/a", config.devdir());
        }
        HastConfig other = parse(node + globals, HASTB);
        assertEquals("/run/g.sock", other.controlAddress());
        assertEquals("/run/g.pid", other.pidfile());
        assertEquals("/dev/g", other.devdir());
    }

    @Test
    void statedirIsGlobalOrPerNodeAndNodeWins() throws ConfigException {
        String node = "on hasta { statedir /var/lib/hast-a }\n";
        String globals = "statedir /srv/hast-state\n";
        for (String text : List.of(node + globals, globals + node)) {
            assertEquals("/var/lib/hast-a", parse(text).statedir());
        }
        assertEquals("/srv/hast-state", parse(node + globals, HASTB).statedir());
        assertEquals("/etc/hast.conf:1: syntax error near 'statedir': not allowed in a resource section",
                error("resource r0 { statedir /x on hasta { local /a remote none } }").getMessage());
        assertEquals("/etc/hast.conf:1: statedir argument is too long.",
                error("statedir /" + "x".repeat(5000) + "\n").getMessage());
        // Elsewhere it is an ordinary word, as the other extension words are.
        assertEquals(List.of("statedir"), parse("resource statedir { on hasta { local /l remote none } }\n")
                .resources().stream().map(ResourceConfig::name).toList());
    }

    @Test
    void laterValuesOfTheSameLevelWin() throws ConfigException {
        HastConfig config = parse("control /a\ncontrol /b\non hasta { pidfile /p1 }\n"
                + "on hasta.example.org { pidfile /p2 }\n");
        assertEquals("/b", config.controlAddress());
        assertEquals("/p2", config.pidfile());
    }

    @Test
    void listenAccumulatesGlobalAndThisNodeInFileOrder() throws ConfigException {
        String text = "listen tcp://a\non hasta { listen tcp://b listen tcp://c }\n"
                + "on hastb { listen tcp://x }\nlisten tcp://d\non hasta { listen tcp://e }\n";
        assertEquals(List.of("tcp://a", "tcp://b", "tcp://c", "tcp://d", "tcp://e"),
                parse(text).listenAddresses());
        assertEquals(List.of("tcp://a", "tcp://x", "tcp://d"), parse(text, HASTB).listenAddresses());
        // A node-only listen replaces the defaults.
        assertEquals(List.of("uds:///run/l"), parse("on hasta { listen uds:///run/l }")
                .listenAddresses());
    }

    @Test
    void listenDefaultsFollowTheAddressFamilies() throws ConfigException {
        assertEquals(List.of("tcp4://0.0.0.0:8457"), ConfigParser.parse("", FILE, HASTA,
                AddressFamilyProbe.fixed(true, false)).listenAddresses());
        assertEquals(List.of("tcp6://[::]:8457"), ConfigParser.parse("", FILE, HASTA,
                AddressFamilyProbe.fixed(false, true)).listenAddresses());
        assertEquals(List.of("tcp4://0.0.0.0:8457", "tcp6://[::]:8457"), ConfigParser.parse("",
                FILE, HASTA, AddressFamilyProbe.fixed(true, true)).listenAddresses());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse("", FILE,
                HASTA, AddressFamilyProbe.fixed(false, false)));
        assertEquals("/etc/hast.conf: No address to listen on.", e.getMessage());
        assertEquals(SysExits.EX_TEMPFAIL, e.exitCode());
        // With a listen line the probe does not matter.
        assertEquals(List.of("tcp://h"), ConfigParser.parse("listen tcp://h", FILE, HASTA,
                AddressFamilyProbe.fixed(false, false)).listenAddresses());
        // An other node's listen does not count.
        assertThrows(ConfigException.class, () -> ConfigParser.parse("on hastb { listen tcp://h }",
                FILE, HASTA, AddressFamilyProbe.fixed(false, false)));
    }

    @Test
    void systemProbeFindsAtLeastOneFamily() throws ConfigException {
        assertFalse(ConfigParser.parse("", FILE, HASTA).listenAddresses().isEmpty());
    }

    @Test
    void timeoutWithSemicolonParsesWithAWarning() throws ConfigException {
        HastConfig config = parse("timeout 10;\n" + MINIMAL_RESOURCE);
        assertEquals(10, config.resources().get(0).timeoutSeconds());
        assertEquals(List.of("/etc/hast.conf:1: warning: ignoring character ';'"), config.warnings());
    }

    @Test
    void crlfFilesLoadWithWarnings() throws ConfigException {
        String text = SPEC_EXAMPLE.replace("\n", "\r\n");
        HastConfig config = parse(text, HASTA);
        assertEquals(parse(SPEC_EXAMPLE, HASTA), config);
        // Eleven lines, two of which end in a comment that swallows the \r.
        assertEquals(9, config.warnings().size());
        assertEquals("/etc/hast.conf:3: warning: ignoring character '\\r'", config.warnings().get(1));
    }

    @Test
    void commentsAnywhere() throws ConfigException {
        String text = "# head\n"
                + "resource # after the keyword\n"
                + "  r0 # after the name\n"
                + "{ # after the brace\n"
                + "  local # between keyword and value\n"
                + "   /dev/da0#glued to a word\n"
                + "  on hasta {# in a node block\n"
                + "    remote tcp://10.0.0.2 # } not a brace\n"
                + "  } # closing\n"
                + "} # end\n"
                + "# tail without newline";
        ResourceConfig r = parse(text).resources().get(0);
        assertEquals("/dev/da0", r.localPath());
        assertEquals("tcp://10.0.0.2", r.remoteAddress());
    }

    @Test
    void otherHostBlocksAreIgnoredButSyntaxChecked() throws ConfigException {
        String ignored = "on hastb { control /b pidfile /b devdir /b }\n"
                + "resource r0 {\n on hastb { name b local /b remote /b source /b metaflush off"
                + " export /b }\n on hasta { local /dev/a remote none }\n}\n";
        HastConfig config = parse(ignored);
        assertEquals("/var/run/hastctl", config.controlAddress());
        assertEquals("/var/run/hastd.pid", config.pidfile());
        assertEquals("/dev/hast", config.devdir());
        assertEquals(new ResourceConfig("r0", "r0", "/dev/a", "none", "", ReplicationMode.MEMSYNC,
                ChecksumAlgorithm.NONE, Compression.HOLE, 20, "", true, DeviceMode.AUTO, "",
                ExportTls.NONE, LocalIoMode.BUFFERED),
                config.resources().get(0));

        assertEquals("/etc/hast.conf:1: syntax error near 'bogus': expected a statement or '}'",
                error("on hastb { bogus }\n").getMessage());
        assertEquals("/etc/hast.conf:3: syntax error near 'remote': not allowed in an 'on' section",
                error("on hastb {\n control /x\n remote tcp://y\n}\n").getMessage());
        assertEquals("/etc/hast.conf:2: syntax error near 'resource': not allowed in a resource 'on' section",
                error("resource r0 { on hastb {\n resource x { } } }").getMessage());
        assertEquals("/etc/hast.conf:1: syntax error near '12': expected an address",
                error("resource r0 { on hastb { source 12 } }").getMessage());
    }

    @Test
    void lengthsAreNotCheckedInOtherHostBlocksExceptListen() throws ConfigException {
        String huge = "/" + "x".repeat(5000);
        parse("on hastb { control " + huge + " pidfile " + huge + " devdir " + huge + " }\n"
                + "resource r0 { on hastb { name " + huge.substring(1) + " local " + huge + " remote " + huge
                + " source " + huge + " export " + huge + " } on hasta { local /a remote none } }");
        // The reference checks listen's length before it looks at the node.
        assertEquals("/etc/hast.conf:1: listen argument is too long.",
                error("on hastb { listen " + huge + " }").getMessage());
    }

    @Test
    void resourcesKeepFileOrder() throws ConfigException {
        StringBuilder text = new StringBuilder();
        List<String> names = List.of("zeta", "alpha", "mid", "localdisk", "a1", "1a", "export",
                "device", "devdir", "auto", "nbd", "fuse", "ggate");
        for (String name : names) {
            text.append("resource ").append(name).append(" { on hasta { local /l remote none } }\n");
        }
        HastConfig config = parse(text.toString());
        assertEquals(names, config.resources().stream().map(ResourceConfig::name).toList());
        assertTrue(config.resource("mid").isPresent());
        assertFalse(config.resource("missing").isPresent());
    }

    @Test
    void extensionWordsAreOnlyKeywordsInContext() throws ConfigException {
        String text = "devdir /dev/hx\n"
                + "on devdir { }\n"
                + "resource export {\n"
                + " device nbd\n"
                + " name device\n"
                + " local export\n"
                + " exec devdir\n"
                + " export /auto\n"
                + " on hasta { remote export source device }\n"
                + "}\n"
                + "resource device { on export { } on hasta { local devdir remote ggate export /fuse } }\n";
        HastConfig config = parse(text);
        assertEquals("/dev/hx", config.devdir());
        ResourceConfig export = config.resource("export").orElseThrow();
        assertEquals(DeviceMode.NBD, export.device());
        assertEquals("device", export.providerName());
        assertEquals("export", export.localPath());
        assertEquals("devdir", export.exec());
        assertEquals("/auto", export.exportAddress());
        assertEquals("export", export.remoteAddress());
        assertEquals("device", export.sourceAddress());
        ResourceConfig device = config.resource("device").orElseThrow();
        assertEquals("devdir", device.localPath());
        assertEquals("ggate", device.remoteAddress());
        assertEquals("/fuse", device.exportAddress());
        assertEquals(DeviceMode.AUTO, device.device());
        // A node literally named like an extension keyword.
        HastConfig named = parse("resource r { on export { local /l remote none } }",
                NodeIdentity.named("export"));
        assertEquals("/l", named.resources().get(0).localPath());
    }

    @Test
    void deviceValues() throws ConfigException {
        for (DeviceMode mode : DeviceMode.values()) {
            assertEquals(mode, parse("device " + mode.word() + "\n" + MINIMAL_RESOURCE)
                    .resources().get(0).device());
        }
        assertEquals("/etc/hast.conf:1: syntax error near 'gate': expected auto, nbd, fuse, ggate or none",
                error("device gate").getMessage());
        assertEquals("/etc/hast.conf:1: syntax error near 'AUTO': expected auto, nbd, fuse, ggate or none",
                error("device AUTO").getMessage());
        assertEquals("/etc/hast.conf:2: syntax error near 'on': expected auto, nbd, fuse, ggate or none",
                error("device\non").getMessage());
    }

    @Test
    void localIoValuesAndInheritance() throws ConfigException {
        assertEquals(LocalIoMode.BUFFERED, parse(MINIMAL_RESOURCE).resources().get(0).localIo());
        for (LocalIoMode mode : LocalIoMode.values()) {
            assertEquals(mode, parse("localio " + mode.word() + "\n" + MINIMAL_RESOURCE).resources().get(0).localIo());
        }
        assertEquals(LocalIoMode.BUFFERED, parse("localio direct\nresource r0 {\n localio buffered\n"
                + " on hasta { local /l remote none }\n}\n").resources().get(0).localIo());
        assertEquals("/etc/hast.conf:1: syntax error near 'odirect': expected buffered or direct",
                error("localio odirect").getMessage());
        assertEquals("/etc/hast.conf:2: syntax error near 'on': expected buffered or direct",
                error("localio\non").getMessage());
    }

    @Test
    void resourceLevelNameIsTruncatedQuirk() throws ConfigException {
        String name1023 = "p".repeat(1023);
        ResourceConfig r = parse("resource r0 { name " + name1023
                + " on hasta { local /l remote none } }").resources().get(0);
        assertEquals("p".repeat(254), r.providerName());
        assertEquals("/etc/hast.conf:1: name argument is too long.",
                error("resource r0 { name " + name1023 + "p }").getMessage());
        // At node level the limit is the real NAME_MAX - 1.
        assertEquals("p".repeat(254), parse("resource r0 { on hasta { name " + "p".repeat(254)
                + " local /l remote none } }").resources().get(0).providerName());
        assertEquals("/etc/hast.conf:1: name argument is too long.",
                error("resource r0 { on hasta { name " + "p".repeat(255) + " } }").getMessage());
    }

    @Test
    void lengthLimits() throws ConfigException {
        String fill = "a".repeat(1023);
        String res = " on hasta { local /l remote none } }";
        String[][] cases = {
            // template (%s = the value), message
            {"control %s", "control argument is too long."},
            {"on hasta { control %s }", "control argument is too long."},
            {"pidfile %s", "pidfile argument is too long."},
            {"on hasta { pidfile %s }", "pidfile argument is too long."},
            {"listen %s", "listen argument is too long."},
            {"on hasta { listen %s }", "listen argument is too long."},
            {"exec %s", "Exec path is too long."},
            {"devdir %s", "devdir argument is too long."},
            {"on hasta { devdir %s }", "devdir argument is too long."},
            {"resource r { exec %s" + res, "Exec path is too long."},
            {"resource r { local %s" + res, "local argument is too long."},
            {"resource r { export %s" + res, "export argument is too long."},
            {"resource r { on hasta { local %s remote none } }", "local argument is too long."},
            {"resource r { on hasta { remote %s local /l } }", "remote argument is too long."},
            {"resource r { on hasta { source %s local /l remote none } }",
                "source argument is too long."},
            {"resource r { on hasta { export %s local /l remote none } }",
                "export argument is too long."},
        };
        for (String[] c : cases) {
            parse(c[0].replace("%s", fill));
            assertEquals("/etc/hast.conf:3: " + c[1],
                    error("\n\n" + c[0].replace("%s", fill + "a")).getMessage(), c[0]);
        }
    }

    @Test
    void resourceNameLimit() throws ConfigException {
        String name = "n".repeat(254);
        assertEquals(name, parse("resource " + name + " { on hasta { local /l remote none } }")
                .resources().get(0).name());
        assertEquals("/etc/hast.conf:2: Resource name is too long.",
                error("\nresource " + name + "n {").getMessage());
    }

    @Test
    void timeouts() throws ConfigException {
        assertEquals(1, parse("timeout 1\n" + MINIMAL_RESOURCE).resources().get(0).timeoutSeconds());
        assertEquals(8, parse("timeout 0008\n" + MINIMAL_RESOURCE).resources().get(0).timeoutSeconds());
        assertEquals(Integer.MAX_VALUE, parse("timeout 2147483647\n" + MINIMAL_RESOURCE)
                .resources().get(0).timeoutSeconds());
        assertEquals("/etc/hast.conf:2: Negative or zero timeout.",
                error("\ntimeout 0\n").getMessage());
        assertEquals("/etc/hast.conf:3: Negative or zero timeout.",
                error("resource r {\n\n timeout 000 }").getMessage());
        assertEquals("/etc/hast.conf:1: Timeout is too large (at most 2147483647 seconds).",
                error("timeout 2147483648").getMessage());
        assertEquals("/etc/hast.conf:1: Timeout is too large (at most 2147483647 seconds).",
                error("timeout 99999999999999999999999999999999999999").getMessage());
        assertEquals("/etc/hast.conf:1: syntax error near '-5': expected a number of seconds",
                error("timeout -5").getMessage());
        assertEquals("/etc/hast.conf:1: syntax error near '10s': expected a number of seconds",
                error("timeout 10s").getMessage());
    }

    @Test
    void perResourceValidationOnTheClosingBraceLine() {
        ConfigException e = error("resource r0 {\n local /l\n on hastb { remote none }\n}\n");
        assertEquals("/etc/hast.conf:4: No resource r0 configuration for this node (acceptable node"
                + " names: hasta, hasta.example.org, 0123456789abcdef0123456789abcdef,"
                + " hostid3735928559).", e.getMessage());
        assertEquals(SysExits.EX_CONFIG, e.exitCode());
        assertEquals("/etc/hast.conf:3: No resource r0 configuration for this node (acceptable node"
                + " names: hastb).", error("resource r0 {\n local /l\n}\n", HASTB).getMessage());
        assertEquals("/etc/hast.conf:5: Remote address not configured for resource r0.",
                error("resource r0 {\n local /l\n on hasta {\n }\n}").getMessage());
        assertEquals("/etc/hast.conf:5: Path to local component not configured for resource r0.",
                error("resource r0 {\n on hasta {\n remote none\n }\n}").getMessage());
        // Remote is checked before local.
        assertEquals("/etc/hast.conf:1: Remote address not configured for resource r0.",
                error("resource r0 { on hasta { } }").getMessage());
        // A remote in another node's block does not count.
        assertEquals("/etc/hast.conf:1: Remote address not configured for resource r0.",
                error("resource r0 { local /l on hasta { } on hastb { remote none } }").getMessage());
    }

    @Test
    void duplicateResourceOnTheLineOfItsName() {
        assertEquals("/etc/hast.conf:9: Resource r0 configured more than once.",
                error(MINIMAL_RESOURCE + "\nresource\nr0 }").getMessage());
    }

    @Test
    void syntaxErrors() {
        String[][] cases = {
            {"resource none { }", "1: syntax error near 'none': expected a resource name"},
            {"resource 123 { }", "1: syntax error near '123': expected a resource name"},
            {"resource r0 {\n on 42 { } }", "2: syntax error near '42': expected a node name"},
            {"on on { }", "1: syntax error near 'on': expected a node name"},
            {"resource r0 {\n local none }", "2: syntax error near 'none': expected a path"},
            {"control", "1: unexpected end of file"},
            {"resource r0", "1: unexpected end of file"},
            {"resource r0 {\n\n", "2: unexpected end of file"},
            {"resource r0 {\n on hasta {\n remote none\n", "3: unexpected end of file"},
            {"on hasta { listen", "1: unexpected end of file"},
            {"}", "1: syntax error near '}': no block to close"},
            {"resource r0 local", "1: syntax error near 'local': expected '{'"},
            {"on hasta\n\n}", "3: syntax error near '}': expected '{'"},
            {"{", "1: syntax error near '{': expected a statement"},
            {"foo bar", "1: syntax error near 'foo': expected a statement"},
            {"42", "1: syntax error near '42': expected a statement"},
            {"off", "1: syntax error near 'off': expected a statement"},
            {"replication sync", "1: syntax error near 'sync': expected fullsync, memsync or async"},
            {"checksum md5", "1: syntax error near 'md5': expected none, crc32 or sha256"},
            {"compression gzip", "1: syntax error near 'gzip': expected none, hole or lzf"},
            {"metaflush yes", "1: syntax error near 'yes': expected on or off"},
            {"resource r0 { on hasta { remote 12 } }", "1: syntax error near '12': expected an address or none"},
            {"resource r0 { { } }", "1: syntax error near '{': expected a statement or '}'"},
            {"resource r0 { on hasta { on x { } } }", "1: syntax error near 'on': not allowed in a resource 'on' section"},
        };
        for (String[] c : cases) {
            ConfigException e = error(c[0]);
            assertEquals(FILE + ":" + c[1], e.getMessage(), c[0]);
            assertEquals(SysExits.EX_CONFIG, e.exitCode());
        }
    }

    @Test
    void longTokensAreShortenedInMessages() {
        String word = "w".repeat(500);
        assertEquals(FILE + ":1: syntax error near '" + "w".repeat(64) + "...': expected a statement",
                error(word).getMessage());
    }

    @Test
    void exceptionParts() {
        ConfigException e = error("\ntimeout 0");
        assertEquals(FILE, e.file());
        assertEquals(2, e.line());
        assertEquals("Negative or zero timeout.", e.reason());
    }

    @Test
    void loadReadsAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hast.conf");
        Files.write(file, (SPEC_EXAMPLE + "# caf\u00e9 ;\n").getBytes(StandardCharsets.UTF_8));
        HastConfig config = ConfigParser.load(file, HASTA, BOTH);
        assertEquals(file.toString(), config.file());
        assertEquals(2, config.resources().size());
        assertEquals(List.of(), config.warnings());
        Files.write(file, "timeout 5 \u00e9\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(file + ":1: warning: ignoring character '\\xc3'",
                file + ":1: warning: ignoring character '\\xa9'"),
                ConfigParser.load(file, HASTA, BOTH).warnings());
        Files.write(file, "\n\ntimeout 0\n".getBytes(StandardCharsets.UTF_8));
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigParser.load(file, HASTA, BOTH));
        assertEquals(file + ":3: Negative or zero timeout.", e.getMessage());
    }

    @Test
    void unreadableFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.conf");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigParser.load(missing, HASTA, BOTH));
        assertEquals(missing + ": unable to open configuration file: No such file or directory",
                e.getMessage());
        assertEquals(SysExits.EX_OSFILE, e.exitCode());
        ConfigException dirError = assertThrows(ConfigException.class,
                () -> ConfigParser.load(dir, HASTA, BOTH));
        assertTrue(dirError.getMessage().startsWith(dir + ": unable to open configuration file: "),
                dirError.getMessage());
        assertEquals(SysExits.EX_OSFILE, dirError.exitCode());
    }

    @Test
    void referenceVectorConfigsLoad() throws ConfigException {
        Path vector = Requirements.vector("wire/default/hast.conf");
        HastConfig a = ConfigParser.load(vector, NodeIdentity.fromSystem(Map.of("HAST_NODE", "nodeA")));
        assertEquals("uds:///var/lib/hast/vectors/run/a/hastctl.sock", a.controlAddress());
        assertEquals(List.of("tcp4://127.0.0.1:8457"), a.listenAddresses());
        ResourceConfig test = a.resource("test").orElseThrow();
        assertEquals("/var/lib/hast/vectors/run/a/disk.img", test.localPath());
        assertEquals("tcp4://127.0.0.1:8458", test.remoteAddress());
        HastConfig b = ConfigParser.load(vector, NodeIdentity.fromSystem(Map.of("HAST_NODE", "nodeB")));
        assertEquals("/var/lib/hast/vectors/run/b/hastd.pid", b.pidfile());
        assertEquals("tcp4://127.0.0.1:8457", b.resource("test").orElseThrow().remoteAddress());
    }
}
