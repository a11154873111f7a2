package dev.writ.server.log.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import dev.writ.server.cli.LogCommand;
import dev.writ.server.log.AuditLog;
import dev.writ.server.log.LogException;
import dev.writ.server.log.LogHandler;
import dev.writ.server.log.TestSigner;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.log.TransparencyLogContract;
import dev.writ.server.store.postgres.PostgresFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The shared log contract against {@link PostgresLog} on a real PostgreSQL server, plus what only a shared database
 * can do: two nodes (two instances, two pools) appending concurrently into one tree, and failing closed when the
 * database refuses a batch.
 */
class PostgresLogContractTest extends TransparencyLogContract {
    PostgresFixture.Database db;

    @TempDir
    Path dir;

    @BeforeEach
    void database() {
        db = PostgresFixture.newDatabase();
    }

    @Override
    protected TransparencyLog open() throws Exception {
        return PostgresLog.open(db.uri(), SIGNER);
    }

    @Override
    protected List<String> crashChildArgs() {
        return List.of("postgres");
    }

    @Override
    protected Map<String, String> crashChildEnv() {
        return Map.of("WRIT_TEST_LOG_LOCATION", db.uri());
    }

    @Test
    void twoNodesAppendingConcurrentlyBuildOneTree() throws Exception {
        try (PostgresLog a = PostgresLog.open(db.uri(), SIGNER);
                PostgresLog b = PostgresLog.open(db.uri(), SIGNER)) {
            List<CompletableFuture<LogReceipt>> fs = new ArrayList<>();
            List<byte[]> entries = new ArrayList<>();
            List<Checkpoint> seen = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                PostgresLog node = t % 2 == 0 ? a : b;
                int id = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 150; i++) {
                        byte[] e = ("{\"jti\":\"n" + id + "-" + i + "\",\"type\":\"sae\"}")
                                .getBytes(StandardCharsets.UTF_8);
                        try {
                            CompletableFuture<LogReceipt> f = node.appendAsync(e);
                            synchronized (fs) {
                                fs.add(f);
                                entries.add(e);
                            }
                            if (i % 10 == 0) {
                                f.get(30, TimeUnit.SECONDS);
                            }
                        } catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    }
                }));
            }
            for (Thread w : writers) {
                w.join();
            }
            Set<Long> indices = new HashSet<>();
            for (int i = 0; i < fs.size(); i++) {
                LogReceipt r = fs.get(i).get(30, TimeUnit.SECONDS);
                // Each receipt verifies offline, whichever node handed it out.
                seen.add(
                        r.verify(entries.get(i), SIGNER.verifier()).checkpoint().checkpoint());
                assertThat(indices.add(r.index())).isTrue();
                assertThat(a.entry(r.index())).isEqualTo(entries.get(i));
                assertThat(b.entry(r.index())).isEqualTo(entries.get(i));
            }
            assertThat(a.size()).isEqualTo(600).isEqualTo(b.size());
            assertThat(a.checkpoint()).isEqualTo(b.checkpoint());
            seen.add(Checkpoint.verify(a.checkpoint(), a.verifier()).checkpoint());
            // Checkpoints signed by either node are of one tree, proven by either node.
            assertPairwiseConsistent(a, seen);
            assertPairwiseConsistent(b, seen.subList(0, Math.min(seen.size(), 40)));
            assertThat(b.indexOfJti("n0-7")).isEqualTo(a.indexOfJti("n0-7")).isPresent();
            assertThat(a.audit()).isEqualTo(600);
            // Both nodes did sequence batches, and went through the locking path when the other had appended.
            assertThat(a.stats().entries()).isEqualTo(300);
            assertThat(b.stats().entries()).isEqualTo(300);
            assertThat(a.stats().batches() + b.stats().batches()).isGreaterThan(2);
            System.out.println("two nodes: " + a.stats() + " " + b.stats() + ", " + seen.size() + " receipts");
            assertThat(a.stats().conflicts() + b.stats().conflicts())
                    .as("a node found the other had appended")
                    .isPositive();
        }
    }

    @Test
    void aDatabaseErrorFailsTheAppendAndTheLogRecovers() throws Exception {
        try (PostgresLog log = PostgresLog.open(db.uri(), SIGNER)) {
            log.append(TransparencyLogContract.entry(0));
            byte[] before = log.checkpoint();
            try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                s.execute("ALTER TABLE log_entries RENAME TO log_entries_away");
            }
            // Fail closed: nothing that is not committed is acknowledged.
            assertThatThrownBy(() -> log.append(TransparencyLogContract.entry(1)))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.unavailable"));
            CompletableFuture<LogReceipt> f = log.appendAsync(TransparencyLogContract.entry(2));
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            assertThat(log.size()).isEqualTo(1);
            assertThat(log.checkpoint()).isEqualTo(before);
            try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                s.execute("ALTER TABLE log_entries_away RENAME TO log_entries");
            }
            LogReceipt r = log.append(TransparencyLogContract.entry(3));
            assertThat(r.index()).isEqualTo(1);
            r.verify(TransparencyLogContract.entry(3), log.verifier());
            assertThat(log.audit()).isEqualTo(2);
        }
    }

    @Test
    void aDatabaseOfAnotherLogIsRefused() throws Exception {
        try (PostgresLog log = PostgresLog.open(db.uri(), SIGNER)) {
            log.append(TransparencyLogContract.entry(0));
        }
        assertThatThrownBy(() -> PostgresLog.open(db.uri(), new TestSigner("writ.other/log", 7)))
                .isInstanceOfSatisfying(
                        LogException.class, e -> assertThat(e.code()).isEqualTo("log.corrupt"));
        assertThatThrownBy(() -> PostgresLog.open(db.uri(), new TestSigner("writ.test/log", 8)))
                .isInstanceOfSatisfying(
                        LogException.class, e -> assertThat(e.code()).isEqualTo("log.corrupt"));
        assertThatThrownBy(() -> PostgresLog.open("postgresql://nobody:x@127.0.0.1:1/none", SIGNER))
                .isInstanceOfSatisfying(LogException.class, e -> {
                    assertThat(e.code()).isEqualTo("log.unavailable");
                    assertThat(e.getMessage()).doesNotContain(":x@");
                });
    }

    @Test
    void aStoredHashThatWasTamperedWithFailsTheAudit() throws Exception {
        try (PostgresLog log = PostgresLog.open(db.uri(), SIGNER)) {
            for (int i = 0; i < 299; i++) {
                log.appendAsync(TransparencyLogContract.entry(i));
            }
            log.append(TransparencyLogContract.entry(299));
            assertThat(log.audit()).isEqualTo(300);
            try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                s.execute("UPDATE log_hashes SET hash = sha256(hash) WHERE level = 3 AND node_index = 5");
            }
            assertThatThrownBy(log::audit).isInstanceOfSatisfying(LogException.class, e -> assertThat(e.code())
                    .isEqualTo("log.corrupt"));
        }
    }

    @Test
    void tilesAreByteIdenticalToTheFileLogAndWritLogVerifiesOverHttp() throws Exception {
        int n = 600;
        try (PostgresLog pg = PostgresLog.open(db.uri(), SIGNER);
                AuditLog file = AuditLog.open(dir, SIGNER)) {
            for (int i = 0; i < n; i++) {
                pg.appendAsync(TransparencyLogContract.entry(i));
                file.appendAsync(TransparencyLogContract.entry(i));
            }
            pg.append(TransparencyLogContract.entry(n));
            file.append(TransparencyLogContract.entry(n));
            long size = n + 1;
            assertThat(pg.checkpoint()).isEqualTo(file.checkpoint());
            for (int level = -1; level <= 1; level++) {
                for (long t = 0; ; t++) {
                    int w = TiledTree.tileWidth(level, t, size);
                    if (w == 0) {
                        break;
                    }
                    TilePath p = new TilePath(level, t, w);
                    assertThat(pg.tile(p)).as(p.path()).isEqualTo(file.tile(p));
                }
            }
            Server server = new Server();
            ServerConnector c = new ServerConnector(server);
            c.setHost("127.0.0.1");
            server.addConnector(c);
            server.setHandler(new LogHandler(pg));
            server.start();
            try {
                String url = "http://127.0.0.1:" + c.getLocalPort();
                String key = SIGNER.verifier().keyString();
                StringWriter out = new StringWriter();
                CommandLine cl = new CommandLine(new LogCommand());
                cl.setOut(new PrintWriter(out));
                cl.setErr(new PrintWriter(out));
                assertThat(cl.execute("verify", "--server", url, "--key", key, "--json"))
                        .as(out.toString())
                        .isZero();
                assertThat(JSON.readTree(out.toString()).get("size").asLong()).isEqualTo(size);
                StringWriter proof = new StringWriter();
                cl.setOut(new PrintWriter(proof));
                assertThat(cl.execute("prove", "--jti", "j77", "--server", url, "--key", key, "--json"))
                        .isZero();
            } finally {
                server.stop();
            }
        }
    }
}
