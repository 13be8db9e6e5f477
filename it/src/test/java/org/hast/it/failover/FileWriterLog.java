package org.hast.it.failover;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Writes files into a mounted file system until stopped or until the file system fails, and
 * remembers each file whose data and directory entry were both flushed (fsync of the file, then
 * of the directory) together with its SHA-256: those are the acknowledged writes a failover must
 * keep. The fault suite's StreamWriter works on raw blocks through the NBD export; this is its
 * counterpart above a file system, which is what keepalived's users see.
 */
public final class FileWriterLog implements Runnable {
    private final Path dir;
    private final Random random;
    private final Map<String, String> acknowledged = new ConcurrentSkipListMap<>();
    private volatile boolean stop;
    private volatile Exception failure;
    private final Thread thread;

    public FileWriterLog(Path dir, long seed) {
        this.dir = dir;
        this.random = new Random(seed);
        this.thread = new Thread(this, "file-writer-" + dir.getFileName());
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    @Override
    public void run() {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i = 0; !stop; i++) {
                byte[] data = new byte[4096 + random.nextInt(60 * 1024)];
                random.nextBytes(data);
                String name = "f-" + i;
                try (FileChannel file = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(data);
                    while (buffer.hasRemaining()) {
                        file.write(buffer);
                    }
                    file.force(true);
                }
                directory.force(true);
                acknowledged.put(name, HexFormat.of().formatHex(sha.digest(data)));
            }
        } catch (IOException | NoSuchAlgorithmException e) {
            failure = e;
        }
    }

    /** Asks the writer to stop after the file in progress and waits up to {@code millis}. */
    public boolean stopAndJoin(long millis) throws InterruptedException {
        stop = true;
        thread.join(millis);
        return !thread.isAlive();
    }

    /** The error that ended the writer (expected after a crash), or null. */
    public Exception failure() {
        return failure;
    }

    /** Files flushed with their directory entry, by name, and their SHA-256. */
    public Map<String, String> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    /** The names of {@code flushed} files that are missing from {@code dir} or differ. */
    public static List<String> missingOrDifferent(Path dir, Map<String, String> flushed) throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> file : flushed.entrySet()) {
            Path path = dir.resolve(file.getKey());
            if (!Files.exists(path) || !file.getValue().equals(sha256(path))) {
                wrong.add(file.getKey());
            }
        }
        return wrong;
    }

    public static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
