package org.hast.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Valid inputs from the reference vectors, as seeds for generated inputs. */
public final class Corpus {
    private static final int HEADER_SIZE = 5;

    private Corpus() {
    }

    /** Every captured nv blob (frame header removed), raw and zeroed. */
    public static List<byte[]> nvBlobs() {
        Path nvDir = Requirements.vector("nv/ctl_list_A_primary.req.bin").getParent();
        List<byte[]> out = new ArrayList<>();
        for (Path file : binFiles(nvDir, 2)) {
            byte[] frame = read(file);
            // a frame's version is 1 or 2; anything else is not a frame (see NvVectorsTest)
            if (frame.length >= HEADER_SIZE && (frame[0] == 1 || frame[0] == 2)) {
                out.add(Arrays.copyOfRange(frame, HEADER_SIZE, frame.length));
            }
        }
        return out;
    }

    /** The first 4096 bytes of every metadata vector, raw and zeroed. */
    public static List<byte[]> metadataAreas() {
        Path dir = Requirements.vector("metadata/default_64M.zeroed.bin").getParent();
        List<byte[]> out = new ArrayList<>();
        for (Path file : binFiles(dir, 1)) {
            out.add(Arrays.copyOf(read(file), 4096));
        }
        return out;
    }

    private static List<Path> binFiles(Path dir, int depth) {
        try (Stream<Path> walk = Files.walk(dir, depth)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(".bin")).sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
