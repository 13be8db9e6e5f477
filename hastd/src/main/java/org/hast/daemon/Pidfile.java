package org.hast.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * hastd's pidfile (spec §3.2 step 4): opened with mode 0600 and locked for as long as the daemon
 * lives, so a second hastd on the same file is refused; removed on exit (our fix A15).
 */
final class Pidfile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private Pidfile(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Thrown when another live process holds the lock. */
    static final class AlreadyRunningException extends IOException {
        private final String otherPid;

        AlreadyRunningException(String otherPid) {
            super("locked");
            this.otherPid = otherPid;
        }

        String otherPid() {
            return otherPid;
        }
    }

    static Pidfile open(Path path) throws IOException {
        FileChannel channel;
        if (Files.exists(path)) {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } else {
            channel = FileChannel.open(path, java.util.Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String other = readPid(channel);
            channel.close();
            throw new AlreadyRunningException(other);
        }
        return new Pidfile(path, channel, lock);
    }

    private static String readPid(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    Path path() {
        return path;
    }

    void writePid(long pid) throws IOException {
        channel.truncate(0);
        ByteBuffer text = ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII));
        while (text.hasRemaining()) {
            channel.write(text, text.position());
        }
        channel.force(false);
    }

    /** Unlocks and removes the file. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
            lock.release();
            channel.close();
        } catch (IOException e) {
            // Nothing useful left to do at exit.
        }
    }
}
