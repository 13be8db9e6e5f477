package org.hast.conf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code secret} file: one shared secret per non-empty line (two during a rotation), each at
 * least {@link #MIN_BYTES} bytes. The file must belong to root (or to hastd's own user) and
 * grant nothing to group or others, as ssh insists for private keys: a secret that other local
 * users can read authenticates nobody.
 */
public final class SecretFile {
    public static final int MIN_BYTES = 16;

    private final List<byte[]> secrets;

    private SecretFile(List<byte[]> secrets) {
        this.secrets = secrets;
    }

    /** The secrets, in file order (the first is preferred). */
    public List<byte[]> secrets() {
        return secrets;
    }

    /**
     * Reads and checks {@code path}.
     *
     * @throws IOException with a one-line reason naming the file
     */
    public static SecretFile read(String path) throws IOException {
        Path file = Path.of(path);
        Object owner;
        Set<PosixFilePermission> permissions;
        try {
            owner = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("secret " + path + ": unable to inspect: " + reason(e) + ".");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("secret " + path + " is not a regular file.");
        }
        int uid = ((Number) owner).intValue();
        if (uid != 0 && uid != ownUid()) {
            throw new IOException("secret " + path + " must be owned by root (it is owned by uid " + uid + ").");
        }
        for (PosixFilePermission permission : permissions) {
            if (permission.name().startsWith("GROUP") || permission.name().startsWith("OTHERS")) {
                throw new IOException("secret " + path + " must not be accessible by group or others"
                        + " (chmod 600 " + path + ").");
            }
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("secret " + path + ": unable to read: " + reason(e) + ".");
        }
        List<byte[]> secrets = new ArrayList<>();
        for (String line : text.split("\n")) {
            String secret = line.strip();
            if (secret.isEmpty()) {
                continue;
            }
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < MIN_BYTES) {
                throw new IOException("secret " + path + ": a secret must be at least " + MIN_BYTES
                        + " bytes long (openssl rand -hex 32).");
            }
            secrets.add(bytes);
        }
        if (secrets.isEmpty()) {
            throw new IOException("secret " + path + " holds no secret.");
        }
        if (secrets.size() > 2) {
            throw new IOException("secret " + path + " holds " + secrets.size()
                    + " secrets; at most two (the old and the new one during a rotation).");
        }
        return new SecretFile(List.copyOf(secrets));
    }

    private static int ownUid() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return ((Number) uid).intValue();
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
