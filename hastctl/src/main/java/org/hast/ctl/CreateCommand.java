package org.hast.ctl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.hast.conf.HastConfig;
import org.hast.conf.ResourceConfig;
import org.hast.meta.DiskLayout;
import org.hast.meta.LayoutException;
import org.hast.meta.Metadata;
import org.hast.meta.MetadataCodec;
import org.hast.platform.host.HostPlatform;
import org.hast.sys.ProviderGeometry;
import org.hast.util.HumanNumber;
import org.hast.util.IoErrors;
import org.hast.util.SysExits;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hastctl create}: writes fresh metadata and a clean bitmap on each named resource's local
 * component (spec §2.2). Local only; it does not ask hastd whether the component is in use.
 */
@Command(name = "create")
final class CreateCommand extends CtlCommand {
    @Option(names = "-e", paramLabel = "extentsize")
    String extentSizeText;

    @Option(names = "-k", paramLabel = "keepdirty")
    String keepDirtyText;

    @Option(names = "-m", paramLabel = "mediasize")
    String mediaSizeText;

    @Parameters(paramLabel = "name")
    List<String> names = new ArrayList<>();

    @Override
    boolean argumentsValid() {
        return !names.isEmpty();
    }

    @Override
    int run(CtlContext context) throws CtlException {
        // As getopt does in the reference, bad numbers are reported before the config is read.
        long extentSize = expand(context, extentSizeText, "extentsize");
        long keepDirty = expand(context, keepDirtyText, "keepdirty");
        long mediaSize = expand(context, mediaSizeText, "mediasize");
        HastConfig config = common.loadConfig(context);
        int exitCode = SysExits.EX_OK;
        for (String name : names) {
            ResourceConfig resource = config.resource(name).orElse(null);
            int result;
            if (resource == null) {
                context.log().error("Unknown resource " + name + ".");
                result = SysExits.EX_DATAERR;
            } else {
                context.log().setResource(resource.name());
                result = createOne(context, resource, mediaSize, extentSize, keepDirty);
                context.log().setResource(null);
            }
            if (exitCode == SysExits.EX_OK) {
                exitCode = result;
            }
        }
        return exitCode;
    }

    /** expand_number(3) or {@code errx(EX_USAGE, "Invalid <what>")}; 0 means "not given". */
    private static long expand(CtlContext context, String text, String what) throws CtlException {
        if (text == null) {
            return 0;
        }
        try {
            return HumanNumber.expand(text);
        } catch (NumberFormatException | ArithmeticException e) {
            context.err().println(context.program() + ": Invalid " + what);
            throw new CtlException(SysExits.EX_USAGE, null);
        }
    }

    private static int createOne(CtlContext context, ResourceConfig resource, long mediaSize,
                                 long extentSize, long keepDirty) {
        Path local = Paths.get(resource.localPath());
        ProviderGeometry geometry;
        try {
            geometry = ProviderGeometry.probe(local, HostPlatform.current().disks());
        } catch (IOException e) {
            context.log().error(e.getMessage());
            return SysExits.EX_NOINPUT;
        }
        DiskLayout layout;
        try {
            layout = DiskLayout.forCreate(local.toString(), geometry.mediaSize(), geometry.sectorSize(),
                    mediaSize == 0 ? null : mediaSize,
                    extentSize == 0 ? null : extentSize,
                    keepDirty == 0 ? null : keepDirty);
        } catch (LayoutException e) {
            context.log().error(e.getMessage());
            return e.exitCode();
        }
        try (FileChannel channel = FileChannel.open(local, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Metadata metadata = Metadata.created(resource.name(), layout);
            try {
                writeFully(channel, MetadataCodec.encode(metadata), 0);
            } catch (IOException e) {
                context.log().error("Unable to write metadata to " + local + ": " + IoErrors.describe(e) + ".");
                return SysExits.EX_IOERR;
            }
            try {
                writeFully(channel, ByteBuffer.allocate(Math.toIntExact(layout.mapSize())), MetadataCodec.METADATA_SIZE);
                // The reference leaves this in the cache; an administrator expects create to be durable.
                channel.force(false);
            } catch (IOException e) {
                context.log().error("Unable to store initial bitmap on " + local + ": " + IoErrors.describe(e) + ".");
                return SysExits.EX_IOERR;
            }
        } catch (IOException e) {
            context.log().error("Unable to open " + local + ": " + IoErrors.describe(e) + ".");
            return SysExits.EX_NOINPUT;
        }
        return SysExits.EX_OK;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long offset = position;
        while (buffer.hasRemaining()) {
            offset += channel.write(buffer, offset);
        }
    }
}
