package dev.writ.server.store;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;

/**
 * The embedded store: one SQLite database in WAL mode, migrated by Flyway from {@code db/migration/sqlite}.
 *
 * <p>SQLite allows one writer at a time, so transactions are serialised on one connection; they are short (a few
 * statements), and hot read paths (OCSP, authentication) are served from caches above the store.
 */
public final class SqliteStore implements Store {
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private JdbcStoreTx tx;
    private boolean closed;

    private SqliteStore(Connection connection) {
        this.connection = connection;
    }

    /**
     * Opens (creating if needed) the database file and applies pending migrations.
     *
     * @throws StoreException when the file cannot be opened or a migration fails
     */
    public static SqliteStore open(Path file) throws StoreException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the database directory", e);
        }
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        migrate(url);
        try {
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
            }
            c.setAutoCommit(false);
            return new SqliteStore(c);
        } catch (SQLException e) {
            throw new StoreException("cannot open the database", e);
        }
    }

    private static void migrate(String url) throws StoreException {
        try {
            Flyway.configure(SqliteStore.class.getClassLoader())
                    .dataSource(url, null, null)
                    .locations("classpath:db/migration/sqlite")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new StoreException("database migration failed", e);
        }
    }

    private int depth;

    @Override
    public <T, E extends Exception> T inTransaction(Work<T, E> work) throws E, StoreException {
        lock.lock();
        try {
            if (closed) {
                throw new StoreException("store is closed");
            }
            if (depth > 0) {
                // Re-entrant: join the caller's transaction, which commits or rolls back as a whole.
                depth++;
                try {
                    return work.run(tx);
                } finally {
                    depth--;
                }
            }
            depth = 1;
            tx = new JdbcStoreTx(connection, DIALECT);
            boolean ok = false;
            try {
                T result = work.run(tx);
                connection.commit();
                ok = true;
                return result;
            } catch (SQLException e) {
                throw new StoreException("database commit failed", e);
            } finally {
                depth = 0;
                if (!ok) {
                    try {
                        connection.rollback();
                    } catch (SQLException ignored) {
                        // the original failure is what the caller needs to see
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws StoreException {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                connection.close();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot close the database", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * SQLite's part: the event sequence from {@code INTEGER PRIMARY KEY AUTOINCREMENT} read back on the one connection
     * (transactions are serialised, so no other writer can interleave), and CRL numbers with an upsert and a read.
     */
    private static final JdbcStoreTx.Dialect DIALECT = new JdbcStoreTx.Dialect() {
        @Override
        public long appendEvent(JdbcStoreTx tx, String type, String body, Instant at) throws SQLException {
            try (PreparedStatement ps = tx.prepare("INSERT INTO events (type, body, created_at) VALUES (?, ?, ?)")) {
                ps.setString(1, type);
                ps.setString(2, body);
                ps.setLong(3, at.toEpochMilli());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = tx.prepare("SELECT MAX(seq) FROM events")) {
                return JdbcStoreTx.single(ps);
            }
        }

        @Override
        public BigInteger nextCrlNumber(JdbcStoreTx tx, String ca) throws SQLException {
            try (PreparedStatement ps = tx.prepare("INSERT INTO crl_numbers (ca, last_number) VALUES (?, 1)"
                    + " ON CONFLICT (ca) DO UPDATE SET last_number = crl_numbers.last_number + 1")) {
                ps.setString(1, ca);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = tx.prepare("SELECT last_number FROM crl_numbers WHERE ca = ?")) {
                ps.setString(1, ca);
                return BigInteger.valueOf(JdbcStoreTx.single(ps));
            }
        }
    };
}
