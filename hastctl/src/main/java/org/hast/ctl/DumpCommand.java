package org.hast.ctl;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.conf.ResourceConfig;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.meta.MetadataException;
import org.hast.util.HumanNumber;
import org.hast.util.IoErrors;
import org.hast.util.SysExits;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl dump}: prints the on-disk metadata of each resource (spec §2.6). Unreadable
 * metadata exits {@code EX_NOINPUT} (our fix A3; the reference exits 255).
 */
@Command(name = "dump")
final class DumpCommand extends CtlCommand {
    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Override
    int run(CtlContext context) throws CtlException {
        HastConfig config = common.loadConfig(context);
        List<ResourceConfig> selected = new ArrayList<>();
        int exitCode = SysExits.EX_OK;
        if (names.isEmpty() || (names.size() == 1 && names.get(0).equals("all"))) {
            selected.addAll(config.resources());
        } else {
            for (String name : names) {
                ResourceConfig resource = config.resource(name).orElse(null);
                if (resource == null) {
                    context.log().error("Unknown resource " + name + ".");
                    if (exitCode == SysExits.EX_OK) {
                        exitCode = SysExits.EX_DATAERR;
                    }
                } else {
                    selected.add(resource);
                }
            }
        }
        for (ResourceConfig resource : selected) {
            int result = dumpOne(context, resource);
            if (exitCode == SysExits.EX_OK) {
                exitCode = result;
            }
        }
        return exitCode;
    }

    private static int dumpOne(CtlContext context, ResourceConfig resource) {
        Path local = Paths.get(resource.localPath());
        Metadata metadata;
        try (FileChannel channel = FileChannel.open(local, StandardOpenOption.READ)) {
            ByteBuffer area = ByteBuffer.allocate(MetadataCodec.METADATA_SIZE);
            while (area.hasRemaining()) {
                if (channel.read(area, area.position()) < 0) {
                    context.log().error("Unable to read metadata from " + local + ": short read.");
                    return SysExits.EX_NOINPUT;
                }
            }
            area.flip();
            metadata = MetadataCodec.decode(area, resource.name(), local.toString());
        } catch (IOException e) {
            context.log().error("Unable to open " + local + ": " + IoErrors.describe(e) + ".");
            return SysExits.EX_NOINPUT;
        } catch (MetadataException e) {
            context.log().error(e.getMessage());
            return SysExits.EX_NOINPUT;
        }
        print(context.out(), resource.name(), metadata);
        return SysExits.EX_OK;
    }

    /** The dump text of spec §2.6, four-space indented. */
    static void print(PrintStream out, String name, Metadata metadata) {
        StringBuilder text = new StringBuilder(256);
        text.append("resource: ").append(name).append('\n');
        text.append("    datasize: ").append(Long.toUnsignedString(metadata.dataSize()))
                .append(" (").append(HumanNumber.bytes(metadata.dataSize())).append(")\n");
        text.append("    extentsize: ").append(metadata.extentSize())
                .append(" (").append(HumanNumber.bytes(metadata.extentSize())).append(")\n");
        text.append("    keepdirty: ").append(metadata.keepDirty()).append('\n');
        text.append("    localoff: ").append(Long.toUnsignedString(metadata.localOff())).append('\n');
        text.append("    resuid: ").append(Long.toUnsignedString(metadata.resUid())).append('\n');
        text.append("    localcnt: ").append(Long.toUnsignedString(metadata.localCnt())).append('\n');
        text.append("    remotecnt: ").append(Long.toUnsignedString(metadata.remoteCnt())).append('\n');
        text.append("    prevrole: ").append(metadata.prevRole().displayName()).append('\n');
        out.print(text);
    }
}
