package org.hast.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.BitSet;

/**
 * {@code <statedir>/<resource>.stale}: the extents whose local copy is older than the peer's
 * (A10), kept outside the local component so that its metadata and bitmap stay byte for byte
 * what FreeBSD writes. The file names the resource UID it belongs to: one left over from an
 * earlier incarnation of the resource ({@code hastctl create}) is ignored. It is replaced
 * atomically (temporary file, fsync, rename, fsync of the directory) and removed when the set
 * is empty. Format, text:
 * <pre>
 * hast-stale 1
 * resuid 1234567890123
 * extentsize 2097152
 * extents 3 7-9 12
 * </pre>
 */
public final class StaleExtentsFile {
    private static final String MAGIC = "hast-stale 1";

    /** What a load found: the stale extents, or none (no file, or a file of another incarnation). */
    public record Loaded(BitSet extents, String ignoredWhy) {
    }

    private final Path path;

    public StaleExtentsFile(Path statedir, String resource) {
        // Resource names may hold '/', which must not make a subdirectory.
        this.path = statedir.resolve(resource.replace("%", "%25").replace("/", "%2F") + ".stale");
    }

    public Path path() {
        return path;
    }

    /**
     * The stale extents of the resource with this UID and extent size; an empty set when there
     * is no file. A file of another resource UID is removed and reported in {@code ignoredWhy}.
     *
     * @throws IOException the file cannot be read or is damaged (the set is then unknown)
     */
    public Loaded load(long resUid, int extentSize, int extentCount) throws IOException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return new Loaded(new BitSet(), null);
        }
        String[] lines = text.split("\n");
        if (lines.length != 4 || !lines[0].equals(MAGIC) || !lines[1].startsWith("resuid ")
                || !lines[2].startsWith("extentsize ") || !lines[3].startsWith("extents")) {
            throw damaged("unknown format");
        }
        long fileUid;
        int fileExtentSize;
        try {
            fileUid = Long.parseUnsignedLong(lines[1].substring(7));
            fileExtentSize = Integer.parseInt(lines[2].substring(11));
        } catch (NumberFormatException e) {
            throw damaged("bad number");
        }
        if (fileUid != resUid) {
            Files.deleteIfExists(path);
            return new Loaded(new BitSet(), "it belongs to resource UID " + Long.toUnsignedString(fileUid)
                    + ", not " + Long.toUnsignedString(resUid));
        }
        if (fileExtentSize != extentSize) {
            throw damaged("extent size " + fileExtentSize + ", the resource has " + extentSize);
        }
        return new Loaded(parseExtents(lines[3].substring(7).trim(), extentCount), null);
    }

    private BitSet parseExtents(String list, int extentCount) throws IOException {
        BitSet extents = new BitSet(extentCount);
        if (list.isEmpty()) {
            return extents;
        }
        for (String item : list.split(" ")) {
            int dash = item.indexOf('-');
            int first;
            int last;
            try {
                first = Integer.parseInt(dash < 0 ? item : item.substring(0, dash));
                last = dash < 0 ? first : Integer.parseInt(item.substring(dash + 1));
            } catch (NumberFormatException e) {
                throw damaged("bad extent " + item);
            }
            if (first < 0 || last < first || last >= extentCount) {
                throw damaged("extent " + item + " out of range (" + extentCount + " extents)");
            }
            extents.set(first, last + 1);
        }
        return extents;
    }

    private IOException damaged(String why) {
        return new IOException(path + " is damaged (" + why + ")");
    }

    /** Replaces the file with {@code extents}, durably; removes it when the set is empty. */
    public void store(long resUid, int extentSize, BitSet extents) throws IOException {
        Path dir = path.getParent();
        if (extents.isEmpty()) {
            if (Files.deleteIfExists(path)) {
                syncDirectory(dir);
            }
            return;
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        StringBuilder text = new StringBuilder(MAGIC).append("\nresuid ").append(Long.toUnsignedString(resUid))
                .append("\nextentsize ").append(extentSize).append("\nextents");
        for (int e = extents.nextSetBit(0); e >= 0; e = extents.nextSetBit(e + 1)) {
            int last = extents.nextClearBit(e) - 1;
            text.append(' ').append(e);
            if (last > e) {
                text.append('-').append(last);
            }
            e = last;
        }
        text.append('\n');
        Path temporary = dir.resolve(path.getFileName() + ".new");
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        try {
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + path + " atomically", e);
        }
        syncDirectory(dir);
    }

    /** Removes the file (the extents are covered otherwise, e.g. by the bitmap a primary merged). */
    public void remove() throws IOException {
        if (Files.deleteIfExists(path)) {
            syncDirectory(path.getParent());
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
