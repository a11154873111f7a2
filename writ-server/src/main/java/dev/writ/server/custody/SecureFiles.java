package dev.writ.server.custody;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/** Owner-only directories and crash-safe file writes (temp file, fsync, atomic rename, fsync of the directory). */
final class SecureFiles {
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_RWX = PosixFilePermissions.fromString("rwx------");

    private SecureFiles() {}

    static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates {@code dir} (and parents) and restricts it to its owner. */
    static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, OWNER_RWX);
        }
    }

    /**
     * Writes {@code content} to {@code target} so that a crash leaves either the old state or the complete new file,
     * never a partial one. The file is owner-only from its creation (no window in which it is world-readable).
     *
     * @param replace whether an existing {@code target} may be replaced; when false an existing target fails with
     *     {@link FileAlreadyExistsException}
     */
    static void writeAtomically(Path target, byte[] content, SecureRandom random, boolean replace) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        byte[] r = new byte[8];
        random.nextBytes(r);
        Path tmp = dir.resolve(
                "." + target.getFileName() + ".tmp-" + HexFormat.of().formatHex(r));
        FileAttribute<?>[] attrs = posix(dir)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_RW)}
                : new FileAttribute<?>[0];
        try {
            Files.createFile(tmp, attrs);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (replace) {
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
                publishExclusively(tmp, target);
            }
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Makes the complete {@code tmp} appear as {@code target} only if {@code target} does not exist: a hard link is
     * created atomically and fails when the name is taken (rename would silently replace it).
     */
    private static void publishExclusively(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (UnsupportedOperationException | IOException e) {
            // File systems without hard links: check, then move. Callers serialise their writers.
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(tmp, target);
        }
    }

    /** Deletes a file and makes the deletion durable. */
    static boolean deleteDurably(Path file) throws IOException {
        boolean deleted = Files.deleteIfExists(file);
        fsyncDirectory(file.toAbsolutePath().getParent());
        return deleted;
    }

    /** Deletes {@code root} and everything below it, if it exists; symbolic links are removed, not followed. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void fsyncDirectory(Path dir) {
        // Linux allows fsync on a directory opened read-only; other systems may not, and that is only durability.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
