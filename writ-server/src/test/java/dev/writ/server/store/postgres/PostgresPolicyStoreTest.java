package dev.writ.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.policy.BundleManifest;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyStore;
import dev.writ.server.policy.PolicyStore.Activation;
import dev.writ.server.policy.PolicyStore.NewBundle;
import dev.writ.server.policy.PolicyStore.PolicyVersion;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The policy store ({@link JdbcPolicyStore}, migration V100) on PostgreSQL, sharing the trust store's pool. */
class PostgresPolicyStoreTest {
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    private PostgresStore db;
    private PolicyStore store;

    @BeforeEach
    void open() throws Exception {
        db = PostgresStore.open(PostgresFixture.newDatabase().uri());
        store = new JdbcPolicyStore(db.dataSource());
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static NewBundle bundle(String label, int marker) {
        byte[] content = {(byte) marker, 0, (byte) 0xff};
        return new NewBundle(
                new BundleManifest("procurement", label, "release " + label),
                "sha256:" + String.valueOf((char) ('a' + marker)).repeat(64),
                content,
                "{\"statement\":" + marker + "}");
    }

    @Test
    void pushListActivateAndRollBack() throws Exception {
        var v1 = store.push(bundle("1.0.0", 1), t0, b -> {});
        var v2 = store.push(bundle("1.1.0", 2), t0.plusSeconds(1), b -> {});
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v2.version()).isEqualTo(2);
        assertThat(store.list())
                .extracting(PolicyVersion::version, v -> v.manifest().version(), PolicyVersion::hash)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1L, "1.0.0", v1.hash()),
                        org.assertj.core.groups.Tuple.tuple(2L, "1.1.0", v2.hash()));
        var read = store.get(2).orElseThrow();
        assertThat(read.content()).containsExactly(2, 0, 0xff);
        assertThat(read.statement()).isEqualTo("{\"statement\":2}");
        assertThat(read.meta().createdAt()).isEqualTo(t0.plusSeconds(1));
        assertThat(store.get(3)).isEmpty();
        assertThat(store.active()).isEmpty();

        store.activate(2, t0.plusSeconds(2), a -> {});
        assertThat(store.active().orElseThrow().version()).isEqualTo(2);
        // Rolling back is activating an earlier version: the history keeps both.
        store.activate(1, t0.plusSeconds(3), a -> {});
        assertThat(store.active().orElseThrow()).isEqualTo(new Activation(2, 1, t0.plusSeconds(3)));
        assertThat(store.history()).extracting(Activation::version).containsExactly(2L, 1L);
    }

    @Test
    void unknownVersionsAndFailedCommitHooksLeaveNothing() throws Exception {
        store.push(bundle("1.0.0", 1), t0, b -> {});
        assertThatThrownBy(() -> store.activate(7, t0, a -> {}))
                .isInstanceOfSatisfying(
                        PolicyException.class, e -> assertThat(e.code()).isEqualTo("policy.unknown_version"));
        assertThatThrownBy(() -> store.push(bundle("2.0.0", 2), t0, b -> {
                    throw new PolicyException("policy.audit", "the event could not be recorded");
                }))
                .isInstanceOf(PolicyException.class);
        assertThatThrownBy(() -> store.activate(1, t0, a -> {
                    throw new PolicyException("policy.audit", "the event could not be recorded");
                }))
                .isInstanceOf(PolicyException.class);
        assertThat(store.list()).hasSize(1);
        assertThat(store.active()).isEmpty();
        // The aborted push did not use up version 2.
        assertThat(store.push(bundle("2.0.0", 2), t0, b -> {}).version()).isEqualTo(2);
    }
}
