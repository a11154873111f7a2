package dev.writ.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} implementation must have, written against the interfaces only. An implementation
 * runs it by extending this class and providing {@link #newStore()} (a fresh, empty, migrated store).
 */
public abstract class StoreContract {
    protected abstract Store newStore() throws Exception;

    protected Store store;
    private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    /** Runs work in a transaction (pins the generic exception type for the compiler). */
    protected <T> T tx(Store.Work<T, RuntimeException> work) throws StoreException {
        return store.inTransaction(work);
    }

    protected boolean bool(Store.Work<Boolean, RuntimeException> work) throws StoreException {
        return store.inTransaction(work);
    }

    protected long num(Store.Work<Long, RuntimeException> work) throws StoreException {
        return store.inTransaction(work);
    }

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    @AfterEach
    void close() throws Exception {
        store.close();
    }

    private AgentRecord agent(String id, String parent) {
        return new AgentRecord(id, "acme", "n-" + id, parent, "{}", null, "k-" + id, "ED25519", null, "active", t0);
    }

    private CertificateRecord cert(String serial, String agentId, String parentSerial, Instant notAfter) {
        return new CertificateRecord(
                serial,
                "agents",
                "agent",
                agentId,
                parentSerial,
                "CN=x,O=acme",
                t0,
                notAfter,
                new byte[] {1, 2, 3},
                CertificateRecord.GOOD,
                null,
                null,
                t0);
    }

    @Test
    void tenantsAreCreatedOnce() throws Exception {
        assertThat(bool(tx -> tx.tenants().create("acme", t0))).isTrue();
        assertThat(bool(tx -> tx.tenants().create("acme", t0))).isFalse();
        assertThat(bool(tx -> tx.tenants().exists("acme"))).isTrue();
        assertThat(bool(tx -> tx.tenants().exists("other"))).isFalse();
        assertThat(tx((StoreTx tx) -> tx.tenants().list())).containsExactly("acme");
    }

    @Test
    void agentsRoundTripWithParentLinks() throws Exception {
        tx(tx -> {
            tx.tenants().create("acme", t0);
            tx.agents().insert(agent("p", null));
            tx.agents().insert(agent("c1", "p"));
            tx.agents().insert(agent("c2", "p"));
            return null;
        });
        assertThat(tx((StoreTx tx) -> tx.agents().find("p"))).contains(agent("p", null));
        assertThat(tx((StoreTx tx) -> tx.agents().children("p")))
                .extracting(AgentRecord::id)
                .containsExactly("c1", "c2");
        assertThat(tx((StoreTx tx) -> tx.agents().list("acme"))).hasSize(3);
        assertThat(tx((StoreTx tx) -> tx.agents().list("nobody"))).isEmpty();
        tx(tx -> {
            tx.agents().updateKeyAndCertificate("p", "k2", "EC_P256", "abc");
            tx.agents().updateStatus("c1", "revoked");
            return null;
        });
        AgentRecord p = tx(tx -> tx.agents().find("p")).orElseThrow();
        assertThat(p.keyId()).isEqualTo("k2");
        assertThat(p.currentSerial()).isEqualTo("abc");
        assertThat(tx((StoreTx tx) -> tx.agents().find("c1")).orElseThrow().status())
                .isEqualTo("revoked");
        assertThatThrownBy(() -> tx(tx -> {
                    tx.agents().updateStatus("missing", "revoked");
                    return null;
                }))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void anAgentNeedsAnExistingTenant() {
        assertThatThrownBy(() -> tx(tx -> {
                    tx.agents().insert(agent("a", null));
                    return null;
                }))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void certificatesCarryStatusRevocationAndParentLinks() throws Exception {
        Instant later = t0.plus(1, ChronoUnit.DAYS);
        tx(tx -> {
            tx.tenants().create("acme", t0);
            tx.agents().insert(agent("a", null));
            tx.certificates().insert(cert("aa", "a", null, later));
            tx.certificates().insert(cert("bb", "a", "aa", later));
            return null;
        });
        CertificateRecord bb = tx(tx -> tx.certificates().find("bb")).orElseThrow();
        assertThat(bb.parentSerial()).isEqualTo("aa");
        assertThat(bb.der()).containsExactly(1, 2, 3);
        assertThat(bb.revoked()).isFalse();
        assertThat(bool(tx -> tx.certificates().revoke("aa", t0.plusSeconds(5), 1)))
                .isTrue();
        assertThat(bool(tx -> tx.certificates().revoke("aa", t0.plusSeconds(6), 1)))
                .isFalse();
        assertThat(bool(tx -> tx.certificates().revoke("zz", t0, 1))).isFalse();
        CertificateRecord aa = tx(tx -> tx.certificates().find("aa")).orElseThrow();
        assertThat(aa.revoked()).isTrue();
        assertThat(aa.revokedAt()).isEqualTo(t0.plusSeconds(5));
        assertThat(aa.revocationReason()).isEqualTo(1);
        assertThat(tx((StoreTx tx) -> tx.certificates().revoked("agents", t0)))
                .extracting(CertificateRecord::serial)
                .containsExactly("aa");
        // Expired revoked certificates drop off CRLs.
        assertThat(tx((StoreTx tx) -> tx.certificates().revoked("agents", later)))
                .isEmpty();
        assertThat(tx((StoreTx tx) -> tx.certificates().list("a", 10))).hasSize(2);
        assertThat(tx((StoreTx tx) -> tx.certificates().list(null, 1))).hasSize(1);
        assertThat(num(tx -> tx.certificates().count())).isEqualTo(2);
    }

    @Test
    void credentialsAreFoundByHashUntilDisabled() throws Exception {
        tx(tx -> {
            tx.tenants().create("acme", t0);
            tx.agents().insert(agent("a", null));
            tx.credentials().insert("h1", "a", t0);
            tx.credentials().insert("h2", "a", t0);
            return null;
        });
        assertThat(tx((StoreTx tx) -> tx.credentials().findActive("h1"))).contains("a");
        assertThat(tx((StoreTx tx) -> tx.credentials().findActive("nope"))).isEmpty();
        assertThat(tx((StoreTx tx) -> tx.credentials().disableAll("a", t0))).isEqualTo(2);
        assertThat(tx((StoreTx tx) -> tx.credentials().findActive("h1"))).isEmpty();
        assertThat(tx((StoreTx tx) -> tx.credentials().disableAll("a", t0))).isZero();
    }

    @Test
    void operatorTokensAreFoundByHashUntilDisabled() throws Exception {
        tx(tx -> {
            tx.operatorTokens().insert("t1", "hash1", "admin", "boot", t0);
            return null;
        });
        OperatorToken t = tx(tx -> tx.operatorTokens().findActive("hash1")).orElseThrow();
        assertThat(t.role()).isEqualTo("admin");
        assertThat(t.label()).isEqualTo("boot");
        assertThat(tx((StoreTx tx) -> tx.operatorTokens().list())).hasSize(1);
        assertThat(bool(tx -> tx.operatorTokens().disable("t1", t0))).isTrue();
        assertThat(tx((StoreTx tx) -> tx.operatorTokens().findActive("hash1"))).isEmpty();
        assertThatThrownBy(() -> tx(tx -> {
                    tx.operatorTokens().insert("t2", "hash1", "admin", null, t0);
                    return null;
                }))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void eventsAreSequencedAndDeliverable() throws Exception {
        long a = tx(tx -> tx.events().append("cert.issued", "{\"a\":1}", t0));
        long b = tx(tx -> tx.events().append("cert.revoked", "{\"b\":2}", t0));
        assertThat(b).isGreaterThan(a);
        List<StoredEvent> all = tx(tx -> tx.events().after(0, 10));
        assertThat(all).extracting(StoredEvent::type).containsExactly("cert.issued", "cert.revoked");
        assertThat(tx((StoreTx tx) -> tx.events().after(a, 10)))
                .extracting(StoredEvent::seq)
                .containsExactly(b);
        tx(tx -> {
            tx.events().markDelivered(a, t0);
            return null;
        });
        assertThat(tx((StoreTx tx) -> tx.events().undelivered(10)))
                .extracting(StoredEvent::seq)
                .containsExactly(b);
    }

    @Test
    void crlNumbersIncreasePerCa() throws Exception {
        assertThat(tx((StoreTx tx) -> tx.crlNumbers().next("agents"))).isEqualTo(BigInteger.ONE);
        assertThat(tx((StoreTx tx) -> tx.crlNumbers().next("agents"))).isEqualTo(BigInteger.TWO);
        assertThat(tx((StoreTx tx) -> tx.crlNumbers().next("policy"))).isEqualTo(BigInteger.ONE);
    }

    @Test
    void aFailedTransactionLeavesNothing() throws Exception {
        tx(tx -> tx.tenants().create("acme", t0));
        assertThatThrownBy(() -> tx(tx -> {
                    tx.agents().insert(agent("a", null));
                    tx.events().append("cert.issued", "{}", t0);
                    tx.crlNumbers().next("agents");
                    throw new IllegalStateException("boom");
                }))
                .hasMessage("boom");
        assertThat(num(tx -> tx.agents().count())).isZero();
        assertThat(num(tx -> tx.events().count())).isZero();
        assertThat(tx((StoreTx tx) -> tx.crlNumbers().next("agents"))).isEqualTo(BigInteger.ONE);
    }

    @Test
    void nestedTransactionsJoinTheOuterOne() throws Exception {
        tx(tx -> tx.tenants().create("acme", t0));
        assertThatThrownBy(() -> tx(tx -> {
                    tx(inner -> inner.events().append("x", "{}", t0));
                    throw new IllegalStateException("outer fails");
                }))
                .hasMessage("outer fails");
        assertThat(num(tx -> tx.events().count())).isZero();
    }
}
