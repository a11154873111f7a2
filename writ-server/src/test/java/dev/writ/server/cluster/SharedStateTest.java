package dev.writ.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.SoftwareCustody;
import dev.writ.server.store.postgres.PostgresFixture;
import dev.writ.server.store.postgres.PostgresStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Signature;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What nodes share through PostgreSQL besides the store: sealed custody keys (a key generated on one node signs on
 * another, and the database never holds it in the clear), the trust domain's public files, and the lease that keeps
 * the outbox relay on one node.
 */
class SharedStateTest {
    @TempDir
    Path tmp;

    final SecureRandom random = new SecureRandom();

    @Test
    void aKeyGeneratedOnOneNodeSignsOnAnotherAndIsStoredOnlySealed() throws Exception {
        try (PostgresStore store =
                PostgresStore.open(PostgresFixture.newDatabase().uri())) {
            SharedFiles files = new SharedFiles(store.dataSource(), InstantSource.system());
            MasterKey mk = MasterKey.generate(random);
            Path a = tmp.resolve("a");
            Path b = tmp.resolve("b");
            SoftwareCustody.create(a.resolve("custody"), mk, random).close();
            // Node A publishes its keystore; node B starts from an empty data directory.
            assertThat(files.publish(a)).isEqualTo(1);
            assertThat(files.materialize(b)).isEqualTo(1);
            try (SharedCustody nodeA =
                            new SharedCustody(SoftwareCustody.open(a.resolve("custody"), mk, random), a, files);
                    SharedCustody nodeB =
                            new SharedCustody(SoftwareCustody.open(b.resolve("custody"), mk, random), b, files)) {
                KeyHandle h = nodeA.generate(KeySpec.ED25519, "agent analyst");
                byte[] msg = "an envelope".getBytes(StandardCharsets.UTF_8);
                byte[] sig = nodeB.sign(h, msg);
                Signature v = Signature.getInstance("Ed25519");
                v.initVerify(nodeA.publicKey(h));
                v.update(msg);
                assertThat(v.verify(sig)).isTrue();
                assertThat(Files.exists(b.resolve("custody/keys/" + h.id() + ".key")))
                        .isTrue();

                // The stored bytes are the sealed file: no 32-byte run of it is the key (the public key is not in it
                // either, and decrypting needs the master key, which never reaches the database).
                byte[] stored = files.read("custody/keys/" + h.id() + ".key").orElseThrow();
                assertThat(stored).isEqualTo(Files.readAllBytes(a.resolve("custody/keys/" + h.id() + ".key")));
                assertThat(new String(stored, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("WRITKEY1");

                // A handle nobody generated stays unknown on every node.
                assertThatThrownBy(() -> nodeB.sign(new KeyHandle("0".repeat(32), KeySpec.ED25519), msg))
                        .isInstanceOf(CustodyException.class);
                // Destroyed on one node: gone from the database, so a node that never loaded it cannot use it.
                nodeA.destroy(h);
                assertThat(files.read("custody/keys/" + h.id() + ".key")).isEmpty();
                Path c = tmp.resolve("c");
                files.materialize(c);
                try (SharedCustody nodeC =
                        new SharedCustody(SoftwareCustody.open(c.resolve("custody"), mk, random), c, files)) {
                    assertThatThrownBy(() -> nodeC.sign(h, msg)).isInstanceOf(CustodyException.class);
                }
            }
        }
    }

    @Test
    void onlyTheDomainsPublicFilesAndSealedKeysAreShared() throws Exception {
        assertThat(SharedFiles.isShared("domain.json")).isTrue();
        assertThat(SharedFiles.isShared("ca/agents.crt")).isTrue();
        assertThat(SharedFiles.isShared("custody/keystore")).isTrue();
        assertThat(SharedFiles.isShared("custody/keys/" + "ab".repeat(16) + ".key"))
                .isTrue();
        // The sealed root, the master key and the local database stay where they are.
        assertThat(SharedFiles.isShared("root/root-key.p8")).isFalse();
        assertThat(SharedFiles.isShared("master.key")).isFalse();
        assertThat(SharedFiles.isShared("writ.db")).isFalse();
        assertThat(SharedFiles.isShared("ca/../master.key")).isFalse();
        assertThat(SharedFiles.isShared("custody/keys/../../x.key")).isFalse();

        try (PostgresStore store =
                PostgresStore.open(PostgresFixture.newDatabase().uri())) {
            Path a = tmp.resolve("a");
            Files.createDirectories(a.resolve("root"));
            Files.writeString(a.resolve("domain.json"), "{}");
            Files.writeString(a.resolve("master.key"), "secret");
            Files.writeString(a.resolve("root/root-key.p8"), "sealed root");
            SharedFiles files = new SharedFiles(store.dataSource(), InstantSource.system());
            assertThat(files.hasDomain()).isFalse();
            assertThat(files.publish(a)).isEqualTo(1);
            assertThat(files.hasDomain()).isTrue();
            // A row naming another path (written by something else) is never followed onto the disk.
            try (Connection conn = store.dataSource().getConnection();
                    PreparedStatement st = conn.prepareStatement(
                            "INSERT INTO shared_files (path, content, updated_at) VALUES ('../escape', ?, 0)")) {
                st.setBytes(1, new byte[] {1});
                st.executeUpdate();
            }
            Path b = tmp.resolve("b/data");
            assertThat(files.materialize(b)).isEqualTo(1);
            assertThat(Files.exists(tmp.resolve("b/escape"))).isFalse();
            try (Connection conn = store.dataSource().getConnection();
                    PreparedStatement st = conn.prepareStatement("SELECT count(*) FROM shared_files");
                    ResultSet rs = st.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }

    @Test
    void theRelayLeaseLetsOneNodeRunAtATime() throws Exception {
        {
            // Two stores on one database are two nodes.
            String uri = PostgresFixture.newDatabase().uri();
            try (PostgresStore a = PostgresStore.open(uri);
                    PostgresStore b = PostgresStore.open(uri)) {
                RelayLease leaseA = new RelayLease(a.dataSource(), RelayLease.OUTBOX_RELAY);
                RelayLease leaseB = new RelayLease(b.dataSource(), RelayLease.OUTBOX_RELAY);
                CountDownLatch holding = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                CompletableFuture<Boolean> ranA = CompletableFuture.supplyAsync(() -> {
                    try {
                        return leaseA.runIfLeader(() -> {
                            holding.countDown();
                            release.await(10, TimeUnit.SECONDS);
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
                boolean[] ranB = new boolean[1];
                assertThat(leaseB.runIfLeader(() -> ranB[0] = true)).isFalse();
                assertThat(ranB[0]).isFalse();
                release.countDown();
                assertThat(ranA.get(10, TimeUnit.SECONDS)).isTrue();
                // Released after the task: the other node takes its turn.
                assertThat(leaseB.runIfLeader(() -> ranB[0] = true)).isTrue();
                assertThat(ranB[0]).isTrue();
            }
        }
    }
}
