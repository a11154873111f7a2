package dev.writ.server.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.writ.server.store.EventRepository;
import dev.writ.server.store.JdbcStoreTx;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The multi-node store: PostgreSQL behind a HikariCP pool, migrated by Flyway from {@code db/migration/postgresql}
 * (the same version numbers as the SQLite migrations). Any number of Writ nodes may share one database.
 *
 * <p>Semantics are those of the embedded SQLite store: {@link #inTransaction} is all-or-nothing and re-entrant on the
 * calling thread (a nested call joins the outer transaction); every database failure is a {@link StoreException}
 * naming the operation; a statement that fails inside a transaction (a duplicate key, say) does not spoil the rest of
 * it, as on SQLite (the driver sets a savepoint before each statement: {@code autosave=always}).
 *
 * <p>Isolation is READ COMMITTED, and every write that concurrent nodes could race on is a single atomic statement,
 * so no transaction ever has to be retried (a retry would re-run the caller's work, which has effects outside the
 * database: keys in custody, events published in memory):
 *
 * <ul>
 *   <li>CRL numbers: one {@code INSERT ... ON CONFLICT DO UPDATE ... RETURNING}; concurrent callers queue on the row
 *       lock and each gets the next number.
 *   <li>Revocation: {@code UPDATE ... WHERE status = 'good'}; of two concurrent revokers exactly one sees {@code true}.
 *   <li>Event sequence: appends take a transaction-scoped advisory lock before drawing from the identity column, so
 *       sequence numbers are strictly increasing <em>and</em> become visible in sequence order (a reader of
 *       {@link EventRepository#after} never sees 7 before 6 commits). Appending transactions are serialised from
 *       their first append to their commit, across all nodes.
 * </ul>
 *
 * A deadlock between two transactions (possible when they lock the same rows in opposite orders) aborts one of them
 * with a {@link StoreException}; its caller sees a failed operation and nothing of it is stored.
 */
public final class PostgresStore implements Store {
    /** Key of the advisory lock that serialises event appends (ASCII "writ-evt"). */
    private static final long EVENT_LOCK = 0x777269742d657674L;

    private static final int DEFAULT_POOL_SIZE = 10;

    private final HikariDataSource pool;
    private final PostgresLocation location;
    private final ThreadLocal<JdbcStoreTx> current = new ThreadLocal<>();
    private volatile boolean closed;

    private PostgresStore(HikariDataSource pool, PostgresLocation location) {
        this.pool = pool;
        this.location = location;
    }

    /**
     * Connects to the database and applies pending migrations, with a pool of up to 10 connections.
     *
     * @param location {@code postgresql://user:password@host:port/database} or {@code jdbc:postgresql://...}
     * @throws StoreException when the string is malformed, the database is unreachable or refuses the login, or a
     *     migration fails; the message names host, port and database, never the password
     */
    public static PostgresStore open(String location) throws StoreException {
        return open(location, DEFAULT_POOL_SIZE);
    }

    /**
     * Like {@link #open(String)}, with a pool of up to {@code poolSize} connections.
     *
     * @throws StoreException as {@link #open(String)}
     */
    public static PostgresStore open(String location, int poolSize) throws StoreException {
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be positive");
        }
        PostgresLocation where = PostgresLocation.parse(location);
        HikariConfig config = new HikariConfig();
        config.setPoolName("writ-postgres");
        config.setJdbcUrl(where.jdbcUrl());
        if (where.user() != null) {
            config.setUsername(where.user());
        }
        if (where.password() != null) {
            config.setPassword(where.password());
        }
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(2, poolSize));
        // Auto-commit stays on, the JDBC default, for components that use dataSource() with plain JDBC;
        // inTransaction turns it off for its own connection, and the pool turns it back on when it returns.
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setConnectionTimeout(10_000);
        // A statement failing inside a transaction rolls back to just before it, as on SQLite.
        config.addDataSourceProperty("autosave", "always");
        config.addDataSourceProperty("connectTimeout", "10");
        config.addDataSourceProperty("ApplicationName", "writ");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            // Hikari's message comes from the driver (host and port, or the server's refusal); never a password.
            throw new StoreException("cannot connect to PostgreSQL at " + where.describe(), e);
        }
        try {
            Flyway.configure(PostgresStore.class.getClassLoader())
                    .dataSource(where.jdbcUrl(), where.user(), where.password())
                    .locations("classpath:db/migration/postgresql")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new StoreException("database migration failed on PostgreSQL at " + where.describe(), e);
        }
        return new PostgresStore(pool, where);
    }

    /**
     * The connection pool, for components that keep their own tables in the same database (the policy store:
     * {@code new JdbcPolicyStore(store.dataSource())}). Connections come with auto-commit on, as from any JDBC data
     * source: a component that needs a transaction turns it off and commits itself.
     */
    public DataSource dataSource() {
        return pool;
    }

    /** Host, port and database of this store, for messages. */
    public String describe() {
        return location.describe();
    }

    @Override
    public <T, E extends Exception> T inTransaction(Work<T, E> work) throws E, StoreException {
        if (closed) {
            throw new StoreException("store is closed");
        }
        JdbcStoreTx open = current.get();
        if (open != null) {
            // Re-entrant: join the caller's transaction, which commits or rolls back as a whole.
            return work.run(open);
        }
        Connection connection;
        try {
            connection = pool.getConnection();
        } catch (SQLException | RuntimeException e) {
            throw new StoreException("cannot get a connection to PostgreSQL at " + location.describe(), e);
        }
        try {
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new StoreException("cannot begin a transaction", e);
        }
        JdbcStoreTx tx = new JdbcStoreTx(connection, DIALECT);
        current.set(tx);
        boolean ok = false;
        try {
            T result = work.run(tx);
            connection.commit();
            ok = true;
            return result;
        } catch (SQLException e) {
            throw new StoreException("database commit failed", e);
        } finally {
            current.remove();
            if (!ok) {
                try {
                    connection.rollback();
                } catch (SQLException ignored) {
                    // the original failure is what the caller needs to see
                }
            }
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // returning a connection to the pool does not fail the transaction, which is already decided
        }
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
    }

    /**
     * PostgreSQL's part: the event sequence from an identity column, appenders serialised by a transaction-level
     * advisory lock (so sequence numbers become visible in order on every node), and CRL numbers drawn with one
     * atomic upsert.
     */
    private static final JdbcStoreTx.Dialect DIALECT = new JdbcStoreTx.Dialect() {
        @Override
        public long appendEvent(JdbcStoreTx tx, String type, String body, Instant at) throws SQLException {
            if (tx.firstEventAppend()) {
                // Serialise appenders until commit, so sequence numbers become visible in order on every node.
                try (PreparedStatement ps = tx.prepare("SELECT pg_advisory_xact_lock(?)")) {
                    ps.setLong(1, EVENT_LOCK);
                    ps.executeQuery().close();
                }
            }
            try (PreparedStatement ps =
                    tx.prepare("INSERT INTO events (type, body, created_at) VALUES (?, ?, ?) RETURNING seq")) {
                ps.setString(1, type);
                ps.setString(2, body);
                ps.setLong(3, at.toEpochMilli());
                return JdbcStoreTx.single(ps);
            }
        }

        @Override
        public BigInteger nextCrlNumber(JdbcStoreTx tx, String ca) throws SQLException {
            // One atomic statement: concurrent callers on any node queue on the row and each gets the next number.
            try (PreparedStatement ps = tx.prepare("INSERT INTO crl_numbers (ca, last_number) VALUES (?, 1)"
                    + " ON CONFLICT (ca) DO UPDATE SET last_number = crl_numbers.last_number + 1"
                    + " RETURNING last_number")) {
                ps.setString(1, ca);
                return BigInteger.valueOf(JdbcStoreTx.single(ps));
            }
        }
    };
}
