package org.hast.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Random;

/**
 * Throughput of the payload codecs on 1 MiB blocks, as hastd uses them (pooled direct
 * buffers). Not a JUnit test; run by {@code bench/codec-bench.sh}, which also times
 * {@code gzip -1} and {@code sha256sum} on the same files.
 *
 * <pre>
 * CodecBench generate DIR MIB     writes DIR/text.bin and DIR/random.bin, MIB MiB each
 * CodecBench run FILE [SECONDS]   prints "&lt;op&gt; &lt;MB/s&gt;" lines for FILE (1 MB = 10^6 bytes)
 * </pre>
 */
public final class CodecBench {
    private static final int BLOCK = 1 << 20;

    private CodecBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("generate")) {
            generate(Paths.get(args[1]), Integer.parseInt(args[2]));
        } else if (args.length >= 2 && args[0].equals("run")) {
            run(Paths.get(args[1]), args.length > 2 ? Double.parseDouble(args[2]) : 2.0);
        } else {
            System.err.println("usage: CodecBench generate DIR MIB | run FILE [SECONDS]");
            System.exit(64);
        }
    }

    /** Text-like data (words, numbers, line breaks; LZF gets it to about half) and random data. */
    private static void generate(Path dir, int mib) throws IOException {
        Files.createDirectories(dir);
        String[] words = ("the of and to in is that for it as was with be by on not he this are or "
                + "his from at which but have an they you were her she there been one all we "
                + "primary secondary extent replication synchronization activemap resource "
                + "hastd hastctl metadata bitmap sector provider connection checksum compression")
                .split(" ");
        Random rnd = new Random(20240601L);
        byte[] block = new byte[BLOCK];
        try (OutputStream text = Files.newOutputStream(dir.resolve("text.bin"));
                OutputStream random = Files.newOutputStream(dir.resolve("random.bin"))) {
            for (int m = 0; m < mib; m++) {
                StringBuilder sb = new StringBuilder(BLOCK + 64);
                while (sb.length() < BLOCK) {
                    int r = rnd.nextInt(100);
                    if (r < 4) {
                        sb.append(".\n");
                    } else if (r < 9) {
                        sb.append(' ').append(rnd.nextInt(100000));
                    } else {
                        sb.append(' ').append(words[(int) Math.abs(rnd.nextGaussian() * 18) % words.length]);
                    }
                }
                text.write(sb.substring(0, BLOCK).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                rnd.nextBytes(block);
                random.write(block);
            }
        }
    }

    private interface Op {
        /** Processes block {@code i}; returns bytes of input consumed. */
        long apply(int i) throws CodecException;
    }

    private static void run(Path file, double seconds) throws Exception {
        ByteBuffer[] blocks = load(file);
        int n = blocks.length;
        Lzf lzf = new Lzf();
        ByteBuffer[] compressed = new ByteBuffer[n];
        long compressedBytes = 0;
        for (int i = 0; i < n; i++) {
            ByteBuffer out = ByteBuffer.allocateDirect(BLOCK + BLOCK / 16 + 64);
            int len = lzf.compress(blocks[i].duplicate(), out, out.capacity());
            out.flip();
            compressed[i] = out;
            compressedBytes += len;
        }
        ByteBuffer scratch = ByteBuffer.allocateDirect(BLOCK + BLOCK / 16 + 64);
        ByteBuffer plain = ByteBuffer.allocateDirect(BLOCK);
        Crc32Checksum crc = new Crc32Checksum();
        Sha256Checksum sha = new Sha256Checksum();
        byte[] hash = new byte[32];
        String name = file.getFileName().toString().replaceFirst("\\.bin$", "");
        System.out.printf(Locale.ROOT, "%s lzf-ratio %.3f%n", name,
                compressedBytes / (double) ((long) n * BLOCK));

        measure(name + " lzf-compress", seconds, i -> {
            ByteBuffer in = blocks[i % n];
            scratch.clear();
            lzf.compress(in, scratch, scratch.capacity());
            in.rewind();
            return BLOCK;
        });
        measure(name + " lzf-decompress", seconds, i -> {
            ByteBuffer in = compressed[i % n];
            plain.clear();
            lzf.decompress(in, plain);
            in.rewind();
            return BLOCK;
        });
        measure(name + " crc32", seconds, i -> {
            crc.compute(blocks[i % n], hash, 0);
            return BLOCK;
        });
        measure(name + " sha256", seconds, i -> {
            sha.compute(blocks[i % n], hash, 0);
            return BLOCK;
        });
    }

    /** Warms up for a third of the time, then reports MB/s over the rest. */
    private static void measure(String label, double seconds, Op op) throws CodecException {
        long warmEnd = System.nanoTime() + (long) (seconds / 3 * 1e9);
        int i = 0;
        while (System.nanoTime() < warmEnd) {
            op.apply(i++);
        }
        long bytes = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long now;
        do {
            bytes += op.apply(i++);
            now = System.nanoTime();
        } while (now < end);
        System.out.printf(Locale.ROOT, "%s %.1f%n", label, bytes / ((now - start) / 1e9) / 1e6);
    }

    private static ByteBuffer[] load(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            int n = (int) (ch.size() / BLOCK);
            if (n == 0) {
                throw new IOException(file + " is smaller than one 1 MiB block");
            }
            ByteBuffer[] blocks = new ByteBuffer[n];
            for (int i = 0; i < n; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(BLOCK);
                while (b.hasRemaining()) {
                    if (ch.read(b, (long) i * BLOCK + b.position()) < 0) {
                        throw new IOException("short read in " + file);
                    }
                }
                b.flip();
                blocks[i] = b;
            }
            return blocks;
        }
    }
}
