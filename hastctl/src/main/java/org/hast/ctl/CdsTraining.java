package org.hast.ctl;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * The build's training run for hastctl's class-data-sharing archive: runs the common paths
 * (config parsing, each sub-command's option model, create/dump, a failed control connect) so
 * that the classes they load are archived. Not part of the user interface.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException, org.hast.nv.NvFormatException {
        Path dir = Paths.get(args.length > 0 ? args[0] : "target/cds-training");
        Files.createDirectories(dir);
        Path disk = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(8L << 20);
        }
        Path config = dir.resolve("hast.conf");
        Files.writeString(config, "control uds://" + dir.resolve("no-such.sock") + "\n"
                + "resource training {\n"
                + "  on trainer { local " + disk + " remote tcp4://127.0.0.1:1 }\n"
                + "}\n");
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        Map<String, String> env = Map.of("HAST_NODE", "trainer");
        String conf = config.toString();
        String[][] runs = {
            {"-h"},
            {"status", "-x"},
            {"create", "-c", conf, "-e", "64k", "-k", "8", "training"},
            {"dump", "-c", conf},
            {"status", "-c", conf},
            {"list", "-c", conf, "training"},
            {"role", "-c", conf, "primary", "training"},
            {"stop", "-c", conf},
            {"status", "-c", conf, "--json"},
            {"events", "-c", conf, "--json"},
        };
        for (String[] run : runs) {
            HastCtl.run(run, sink, sink, env);
        }
        // hastd is not running here: the JSON writers' classes are archived through a made-up reply.
        org.hast.nv.NvWriter reply = new org.hast.nv.NvWriter().addString("resource0", "training")
                .addString("role0", "init").addInt32("workerpid0", 0);
        sink.print(StatusJson.format(org.hast.nv.NvMessage.decode(reply.encode()), 0));
        org.hast.nv.NvWriter event = new org.hast.nv.NvWriter().addUint64("time", 0).addString("event", "exists");
        sink.print(EventsCommand.json(org.hast.nv.NvMessage.decode(event.encode())));
        Files.deleteIfExists(disk);
    }
}
