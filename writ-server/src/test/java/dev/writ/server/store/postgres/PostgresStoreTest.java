package dev.writ.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.store.Store;
import dev.writ.server.store.StoreContract;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.StoreTx;
import dev.writ.server.store.StoredEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The store contract on PostgreSQL (a real server, {@link PostgresFixture}), plus what only a shared database has:
 * connection strings, errors when unreachable, and several nodes (stores) racing on the same database.
 */
class PostgresStoreTest extends StoreContract {
    private PostgresFixture.Database db;
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    protected Store newStore() throws Exception {
        db = PostgresFixture.newDatabase();
        return PostgresStore.open(db.uri());
    }

    @Test
    void opensWithEitherConnectionStringAndMigrationsAreIdempotent() throws Exception {
        tx(tx -> tx.tenants().create("acme", t0));
        try (PostgresStore jdbc = PostgresStore.open(db.jdbcUrlWithCredentials())) {
            boolean exists = jdbc.inTransaction(tx -> tx.tenants().exists("acme"));
            assertThat(exists).isTrue();
        }
        try (PostgresStore again = PostgresStore.open(db.uri(), 2)) {
            List<String> tenants = again.inTransaction(tx -> tx.tenants().list());
            assertThat(tenants).containsExactly("acme");
        }
        try (Connection c = db.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version FROM flyway_schema_history"
                        + " WHERE success AND version IS NOT NULL ORDER BY installed_rank")) {
            List<String> versions = new ArrayList<>();
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
            // The same version numbers as the SQLite migrations: both backends evolve together.
            assertThat(versions).startsWith("1", "100", "200").containsExactlyElementsOf(sqliteVersions());
        }
    }

    @Test
    void theDataSourceBehavesLikeAnyJdbcDataSource() throws Exception {
        // Components with their own tables (policy, approvals) write through it with plain JDBC: auto-commit is on.
        PostgresStore pg = (PostgresStore) store;
        try (Connection c = pg.dataSource().getConnection();
                Statement s = c.createStatement()) {
            assertThat(c.getAutoCommit()).isTrue();
            s.executeUpdate("INSERT INTO tenants (name, created_at) VALUES ('plain', 0)");
        }
        // A store transaction on the same pool does not leave auto-commit off behind it.
        tx(tx -> tx.tenants().create("acme", t0));
        for (int i = 0; i < 12; i++) {
            try (Connection c = pg.dataSource().getConnection()) {
                assertThat(c.getAutoCommit()).isTrue();
            }
        }
        assertThat(tx((StoreTx tx) -> tx.tenants().list())).containsExactly("acme", "plain");
    }

    @Test
    void anUnreachableServerIsAClearErrorWithoutThePassword() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String secret = "s3cret-Pa55word";
        assertThatThrownBy(
                        () -> PostgresStore.open("postgresql://writ:" + secret + "@127.0.0.1:" + closedPort + "/writ"))
                .isInstanceOf(StoreException.class)
                .hasMessage("cannot connect to PostgreSQL at 127.0.0.1:" + closedPort + "/writ")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(secret));
        assertThatThrownBy(() -> PostgresStore.open(
                        "jdbc:postgresql://127.0.0.1:" + closedPort + "/writ?user=writ&password=" + secret))
                .isInstanceOf(StoreException.class)
                .hasMessage("cannot connect to PostgreSQL at 127.0.0.1:" + closedPort + "/writ")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(secret));
    }

    @Test
    void aWrongPasswordIsRefusedWithoutRepeatingIt() {
        String wrong = db.uri().replace(":" + db.password() + "@", ":not-the-Password@");
        assertThatThrownBy(() -> PostgresStore.open(wrong))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("cannot connect to PostgreSQL at 127.0.0.1:")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("not-the-Password"));
    }

    @Test
    void malformedConnectionStringsAreRefused() {
        assertThatThrownBy(() -> PostgresStore.open("mysql://u:p@h/db"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("postgresql://");
        assertThatThrownBy(() -> PostgresStore.open("postgresql://u:p w@h/db"))
                .isInstanceOf(StoreException.class)
                .hasMessageNotContaining("p w");
    }

    @Test
    void aFailedStatementDoesNotSpoilTheRestOfTheTransaction() throws Exception {
        // As on SQLite: work that catches a constraint violation can carry on and commit.
        boolean created = tx(tx -> {
            tx.operatorTokens().insert("t1", "hash1", "admin", null, t0);
            try {
                tx.operatorTokens().insert("t2", "hash1", "admin", null, t0);
                throw new AssertionError("duplicate hash accepted");
            } catch (StoreException expected) {
                // the duplicate is refused; the transaction goes on
            }
            return tx.tenants().create("acme", t0);
        });
        assertThat(created).isTrue();
        assertThat(tx((StoreTx tx) -> tx.operatorTokens().list())).hasSize(1);
        assertThat(bool(tx -> tx.tenants().exists("acme"))).isTrue();
    }

    @Test
    void aClosedStoreRefusesWork() throws Exception {
        PostgresStore other = PostgresStore.open(db.uri(), 1);
        other.close();
        assertThatThrownBy(() -> other.inTransaction(tx -> tx.tenants().list()))
                .isInstanceOf(StoreException.class)
                .hasMessage("store is closed");
    }

    @Test
    void concurrentNodesDrawDistinctConsecutiveCrlNumbers() throws Exception {
        try (PostgresStore a = PostgresStore.open(db.uri(), 4);
                PostgresStore b = PostgresStore.open(db.uri(), 4)) {
            List<BigInteger> numbers = Collections.synchronizedList(new ArrayList<>());
            race(
                    8,
                    25,
                    i -> numbers.add((i % 2 == 0 ? a : b)
                            .inTransaction(tx -> tx.crlNumbers().next("agents"))));
            assertThat(numbers).hasSize(200).doesNotHaveDuplicates();
            assertThat(numbers.stream().max(BigInteger::compareTo)).contains(BigInteger.valueOf(200));
        }
    }

    @Test
    void concurrentNodesAppendEventsThatBecomeVisibleInSequenceOrder() throws Exception {
        try (PostgresStore a = PostgresStore.open(db.uri(), 4);
                PostgresStore b = PostgresStore.open(db.uri(), 4)) {
            AtomicInteger rolledBack = new AtomicInteger();
            List<Long> seen = Collections.synchronizedList(new ArrayList<>());
            // A reader follows the log with after(last): if numbers became visible out of order it would skip one.
            Thread reader = Thread.ofPlatform().start(() -> {
                long last = 0;
                try {
                    while (seen.size() < 150) {
                        final long from = last;
                        for (StoredEvent e :
                                store.inTransaction(tx -> tx.events().after(from, 50))) {
                            seen.add(e.seq());
                            last = e.seq();
                        }
                    }
                } catch (StoreException e) {
                    throw new IllegalStateException(e);
                }
            });
            race(6, 30, i -> {
                Store node = i % 2 == 0 ? a : b;
                if (i % 6 == 5) {
                    try {
                        node.inTransaction(tx -> {
                            tx.events().append("x", "{}", t0);
                            throw new IllegalStateException("abandoned");
                        });
                    } catch (IllegalStateException expected) {
                        rolledBack.incrementAndGet();
                    }
                }
                return node.inTransaction(tx -> {
                    long first = tx.events().append("x", "{\"i\":" + i + "}", t0);
                    long second = tx.events().append("y", "{}", t0);
                    assertThat(second).isGreaterThan(first);
                    return first;
                });
            });
            reader.join(20_000);
            assertThat(reader.isAlive()).isFalse();
            List<StoredEvent> all = tx(tx -> tx.events().after(0, 1000));
            assertThat(all).hasSize(360);
            assertThat(all).extracting(StoredEvent::seq).isSorted().doesNotHaveDuplicates();
            // What the follower saw, in order, is exactly what is stored: nothing skipped.
            assertThat(seen)
                    .containsExactlyElementsOf(
                            all.stream().map(StoredEvent::seq).toList().subList(0, seen.size()));
            assertThat(rolledBack.get()).isEqualTo(30);
        }
    }

    @Test
    void concurrentRevocationsHaveExactlyOneWinner() throws Exception {
        tx(tx -> {
            tx.tenants().create("acme", t0);
            tx.certificates()
                    .insert(new dev.writ.server.store.CertificateRecord(
                            "aa",
                            "agents",
                            "agent",
                            null,
                            null,
                            "CN=x",
                            t0,
                            t0.plusSeconds(86_400),
                            new byte[] {1},
                            dev.writ.server.store.CertificateRecord.GOOD,
                            null,
                            null,
                            t0));
            return null;
        });
        try (PostgresStore a = PostgresStore.open(db.uri(), 4);
                PostgresStore b = PostgresStore.open(db.uri(), 4)) {
            List<Boolean> results = Collections.synchronizedList(new ArrayList<>());
            race(
                    8,
                    1,
                    i -> results.add((i % 2 == 0 ? a : b)
                            .inTransaction(tx -> tx.certificates().revoke("aa", t0.plusSeconds(i), 1))));
            assertThat(results).containsOnlyOnce(true).hasSize(8);
        }
    }

    @FunctionalInterface
    private interface Step {
        Object run(int i) throws Exception;
    }

    /** Runs {@code perThread} steps on each of {@code threads} threads at once; fails on the first failure. */
    private static void race(int threads, int perThread, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object>> futures = new ArrayList<>();
            AtomicInteger counter = new AtomicInteger();
            for (int t = 0; t < threads; t++) {
                Callable<Object> c = () -> {
                    for (int k = 0; k < perThread; k++) {
                        step.run(counter.getAndIncrement());
                    }
                    return null;
                };
                futures.add(pool.submit(c));
            }
            for (Future<Object> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** The versions of the SQLite migrations, in order. */
    static List<String> sqliteVersions() throws java.io.IOException {
        java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("writ.repo.root", ".."))
                .resolve("writ-server/src/main/resources/db/migration/sqlite");
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.matches("V\\d+__.+\\.sql"))
                    .map(n -> n.substring(1, n.indexOf("__")))
                    .sorted(java.util.Comparator.comparingLong(Long::parseLong))
                    .toList();
        }
    }
}
