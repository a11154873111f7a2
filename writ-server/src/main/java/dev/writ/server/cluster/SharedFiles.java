package dev.writ.server.cluster;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The files of a trust domain that every node needs, kept in the shared database ({@code shared_files}), so a node
 * started with an empty data directory can serve: the public description ({@code domain.json}, {@code ca/...}) and the
 * software custody keystore ({@code custody/keystore}, {@code custody/keys/<id>.key}).
 *
 * <p>Guarantees: only these paths are ever stored or written ({@link #isShared}); the sealed root key
 * ({@code root/}), the custody master key and the local database never are. Key files are stored exactly as custody
 * sealed them (AES-256-GCM under a key derived from the master key, bound to their id), so the database holds no
 * usable key without the master key that each node is given separately. Files written locally are owner-only and
 * replaced atomically.
 */
public final class SharedFiles {
    /** Relative paths (with '/') that are shared; anything else is refused both ways. */
    private static final Pattern SHARED =
            Pattern.compile("domain\\.json|ca/[A-Za-z0-9._-]{1,128}|custody/keystore|custody/keys/[0-9a-f]{32}\\.key");

    private final DataSource db;
    private final InstantSource clock;

    public SharedFiles(DataSource db, InstantSource clock) {
        this.db = Objects.requireNonNull(db, "db");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Whether {@code relative} (slash-separated, relative to the data directory) is a shared file. */
    public static boolean isShared(String relative) {
        return SHARED.matcher(relative).matches();
    }

    /** Whether the database holds a trust domain ({@code domain.json}). */
    public boolean hasDomain() throws SQLException {
        return read("domain.json").isPresent();
    }

    /**
     * Stores every shared file under {@code dataDir} (after {@code writ init}), replacing stored versions.
     *
     * @return how many files were stored
     */
    public int publish(Path dataDir) throws SQLException, IOException {
        List<String> paths = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dataDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    String rel = relative(dataDir, p);
                    if (isShared(rel)) {
                        paths.add(rel);
                    }
                }
            }
        }
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (String rel : paths) {
                    upsert(c, rel, Files.readAllBytes(dataDir.resolve(rel)));
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        return paths.size();
    }

    /** Stores one shared file's content. */
    public void put(String relative, byte[] content) throws SQLException {
        requireShared(relative);
        try (Connection c = db.getConnection()) {
            upsert(c, relative, content);
        }
    }

    /** Removes one shared file (a destroyed key). */
    public void delete(String relative) throws SQLException {
        requireShared(relative);
        try (Connection c = db.getConnection();
                PreparedStatement st = c.prepareStatement("DELETE FROM shared_files WHERE path = ?")) {
            st.setString(1, relative);
            st.executeUpdate();
        }
    }

    /** The stored content of a shared file. */
    public Optional<byte[]> read(String relative) throws SQLException {
        requireShared(relative);
        try (Connection c = db.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT content FROM shared_files WHERE path = ?")) {
            st.setString(1, relative);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
            }
        }
    }

    /**
     * Writes every stored file into {@code dataDir}: the public description is replaced by the stored version (the
     * database is the source of truth), key files are written when missing (their content never changes).
     *
     * @return how many files were written
     */
    public int materialize(Path dataDir) throws SQLException, IOException {
        int written = 0;
        try (Connection c = db.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT path, content FROM shared_files ORDER BY path");
                ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String rel = rs.getString(1);
                // A row naming another path (written by something else) is never followed onto the disk.
                if (!isShared(rel)) {
                    continue;
                }
                Path target = dataDir.resolve(rel);
                if (rel.startsWith("custody/keys/") && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                writePrivate(target, rs.getBytes(2), true);
                if (rel.equals("custody/keystore")) {
                    // A keystore is its check value plus a keys directory, even while it holds no key.
                    createPrivateDirectories(target.resolveSibling("keys"));
                }
                written++;
            }
        }
        return written;
    }

    /**
     * Writes one stored file into {@code dataDir} when it is missing there.
     *
     * @return whether the database held the file
     */
    public boolean fetch(Path dataDir, String relative) throws SQLException, IOException {
        Optional<byte[]> content = read(relative);
        if (content.isEmpty()) {
            return false;
        }
        writePrivate(dataDir.resolve(relative), content.get(), false);
        return true;
    }

    private void upsert(Connection c, String rel, byte[] content) throws SQLException {
        try (PreparedStatement st =
                c.prepareStatement("INSERT INTO shared_files (path, content, updated_at) VALUES (?, ?, ?)"
                        + " ON CONFLICT (path) DO UPDATE SET content = excluded.content,"
                        + " updated_at = excluded.updated_at")) {
            st.setString(1, rel);
            st.setBytes(2, content);
            st.setLong(3, clock.millis());
            st.executeUpdate();
        }
    }

    private static void requireShared(String relative) {
        if (!isShared(relative)) {
            throw new IllegalArgumentException("not a shared file: " + relative);
        }
    }

    private static String relative(Path dir, Path p) {
        return dir.relativize(p).toString().replace('\\', '/');
    }

    /** Owner-only directories and files; written to a temporary file and moved into place. */
    static void writePrivate(Path target, byte[] content, boolean replace) throws IOException {
        Path parent = target.getParent();
        createPrivateDirectories(parent);
        if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path tmp = parent.resolve("." + target.getFileName() + "."
                + ProcessHandle.current().pid() + "." + Thread.currentThread().threadId() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        try {
            Files.write(tmp, content, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                if (replace) {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileAlreadyExistsException e) {
                // Another thread wrote the same immutable file first.
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createPrivateDirectories(dir.getParent());
        try {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // created concurrently
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }
}
