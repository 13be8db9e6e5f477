package org.hast.ctl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.hast.testing.Requirements;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * hastctl against replies captured from the reference hastd (vectors/nv/ctl_*): the request it
 * sends must be byte-identical to the reference hastctl's, and what it prints identical too.
 */
class ControlVectorsTest {
    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("status_all_A_init", new String[] {"status", "all"}, 0),
                Arguments.of("role_secondary_test_B", new String[] {"role", "secondary", "test"}, 0),
                Arguments.of("role_primary_test_A", new String[] {"role", "primary", "test"}, 0),
                Arguments.of("status_all_A_primary", new String[] {"status", "all"}, 0),
                Arguments.of("status_test_A_primary", new String[] {"status", "test"}, 0),
                Arguments.of("list_A_primary", new String[] {"list"}, 0),
                Arguments.of("status_all_B_secondary", new String[] {"status"}, 0),
                Arguments.of("role_init_test_B", new String[] {"role", "init", "test"}, 0),
                Arguments.of("role_init_all_A", new String[] {"role", "init", "all"}, 0),
                Arguments.of("role_primary_nosuch_A", new String[] {"role", "primary", "nosuch"}, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String name, String[] command, int expectedExit) throws Exception {
        byte[] reply = Files.readAllBytes(Requirements.vector("nv/ctl_" + name + ".resp.bin"));
        byte[] expectedRequest = Files.readAllBytes(Requirements.vector("nv/ctl_" + name + ".req.zeroed.bin"));
        String expectedOutput = Files.readString(Requirements.vector("nv/ctl_" + name + ".stdout.txt"));

        Path socket = dir.resolve("ctl.sock");
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "control uds://" + socket + "\n"
                + "resource test {\n  on nodeA { local /nonexistent remote tcp4://127.0.0.1:8458 }\n}\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = new String[command.length + 2];
        args[0] = command[0];
        args[1] = "-c";
        args[2] = config.toString();
        System.arraycopy(command, 1, args, 3, command.length - 1);
        int exit;
        byte[] request;
        try (FakeControlServer server = new FakeControlServer(socket, reply)) {
            exit = HastCtl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("HAST_NODE", "nodeA"));
            request = server.request();
        }
        assertEquals(expectedExit, exit, err.toString(StandardCharsets.UTF_8));
        assertArrayEquals(expectedRequest, request, "request bytes differ from the reference hastctl's");
        // The reference capture mixed stdout and stderr; warnings are on stderr here.
        String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedOutput, printed);
    }
}
