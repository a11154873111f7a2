package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.InstantSource;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyServiceTest {
    @TempDir
    Path data;

    private final TestPki pki = TestPki.create("policy CA");
    private final RecordingEvents events = new RecordingEvents();
    private DataSource db;
    private PolicyStore store;
    private PolicyService service;

    @BeforeEach
    void setUp() throws Exception {
        db = PolicyDatabase.openSqlite(data);
        store = new JdbcPolicyStore(db);
        service = new PolicyService(
                store,
                new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW)),
                pki.identity(),
                events,
                InstantSource.fixed(TestPki.NOW));
    }

    private void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, String code) {
        assertThatThrownBy(c).isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.code())
                .isEqualTo(code));
    }

    private BundleFiles variant(String description) throws PolicyException {
        return BundleFiles.of(Bundles.procurementWith(
                "manifest.json",
                "{\"name\":\"procurement\",\"version\":\"1.0.1\",\"description\":\"" + description + "\"}"));
    }

    @Test
    void pushActivateListShowRollback() throws Exception {
        var v1 = service.push(Bundles.procurementFiles());
        var v2 = service.push(variant("second"));
        assertThat(v1.version()).isEqualTo(1);
        assertThat(v2.version()).isEqualTo(2);
        assertThat(service.list()).extracting(PolicyStore.PolicyVersion::hash).containsExactly(v1.hash(), v2.hash());
        assertThat(service.active()).isEmpty();

        assertThat(service.activate(1).bundle().hash()).isEqualTo(v1.hash());
        assertThat(service.activate(2).activation().version()).isEqualTo(2);
        assertThat(service.active().orElseThrow().version()).isEqualTo(2);

        var back = service.rollback();
        assertThat(back.activation().version()).isEqualTo(1);
        assertThat(service.loadActive().orElseThrow().hash()).isEqualTo(v1.hash());
        assertThat(store.history()).extracting(PolicyStore.Activation::version).containsExactly(1L, 2L, 1L);

        var shown = service.show(2);
        assertThat(BundleFiles.decode(shown.content()).hash()).isEqualTo(v2.hash());
        assertThat(events.types())
                .containsExactly(
                        "policy.published",
                        "policy.published",
                        "policy.activated",
                        "policy.activated",
                        "policy.activated");
        var lastActivation = events.events.get(4).body();
        assertThat(lastActivation.get("version").asLong()).isEqualTo(1);
        assertThat(lastActivation.get("previous").asLong()).isEqualTo(2);
        assertThat(lastActivation.get("hash").asText()).isEqualTo(v1.hash());
        assertThat(events.events.get(0).body().get("statement").asText()).isEqualTo(v1.statement());
    }

    @Test
    void aDecisionPointLoadsTheActiveVersionFromTheStore() throws Exception {
        var v1 = service.push(Bundles.procurementFiles());
        service.activate(1);
        PolicyDecisionPoint pdp =
                PolicyDecisionPoint.create(new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW)), events);
        pdp.load(service.show(service.active().orElseThrow().version()));
        assertThat(pdp.activeHash()).contains(v1.hash());
        pdp.reconcile(v1.hash());
        assertThat(events.types()).doesNotContain("policy.drift");
    }

    @Test
    void badBundlesAreRefusedAndTheActivePolicyStays() throws Exception {
        service.push(Bundles.procurementFiles());
        service.activate(1);
        int before = events.events.size();

        assertCode(
                () -> service.push(BundleFiles.of(Bundles.procurementWith("x.cedar", "permit (principal, action"))),
                "policy.syntax");
        assertCode(
                () -> service.push(BundleFiles.of(Bundles.procurementWith(
                        "x.cedar", "permit (principal, action, resource) when { principal.salary > 3 };"))),
                "policy.schema");
        assertCode(() -> service.activate(42), "policy.unknown_version");
        assertCode(() -> service.show(42), "policy.unknown_version");

        assertThat(service.list()).hasSize(1);
        assertThat(service.active().orElseThrow().version()).isEqualTo(1);
        assertThat(events.events).hasSize(before);
    }

    @Test
    void pushWithoutASigningIdentityIsRefused() throws Exception {
        PolicyService unsigned = new PolicyService(
                store,
                new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW)),
                null,
                events,
                InstantSource.fixed(TestPki.NOW));
        assertCode(() -> unsigned.push(Bundles.procurementFiles()), "policy.no_identity");
        assertThat(service.list()).isEmpty();
    }

    @Test
    void aSignerOutsideThePolicyCaCannotPush() throws Exception {
        PolicyService foreign = new PolicyService(
                store,
                new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW)),
                TestPki.create("rogue CA").identity(),
                events,
                InstantSource.fixed(TestPki.NOW));
        assertCode(() -> foreign.push(Bundles.procurementFiles()), "policy.signature");
        assertThat(service.list()).isEmpty();
    }

    @Test
    void tamperedStoredVersionsCannotBeActivated() throws Exception {
        service.push(Bundles.procurementFiles());
        service.push(variant("two"));
        service.push(variant("three"));
        service.activate(1);

        // Content swapped under the stored hash and statement.
        byte[] other = variant("evil").encoded();
        update("UPDATE policy_bundle SET content = ? WHERE version = 2", other);
        assertCode(() -> service.activate(2), "policy.hash_mismatch");

        // Hash column and content swapped together: the signed statement still names the original.
        BundleFiles evil = variant("evil");
        update("UPDATE policy_bundle SET content = ? WHERE version = 3", evil.encoded());
        updateText("UPDATE policy_bundle SET hash = ? WHERE version = 3", evil.hash());
        assertCode(() -> service.activate(3), "policy.hash_mismatch");

        assertThat(service.active().orElseThrow().version()).isEqualTo(1);
        assertThat(events.types()).filteredOn("policy.activated"::equals).hasSize(1);
    }

    @Test
    void activationOfAVersionThatFailsValidationIsRefused() throws Exception {
        service.push(Bundles.procurementFiles());
        service.activate(1);
        // A version stored with a real signature but content that does not validate (e.g. written by an older
        // release with a laxer validator).
        BundleFiles invalid = BundleFiles.of(Bundles.procurementWith(
                "x.cedar", "forbid (principal, action, resource) when { context.amount > 1 };"));
        PolicySigningIdentity id = pki.identity();
        store.push(
                new PolicyStore.NewBundle(
                        BundleManifest.parse(invalid.get("manifest.json")),
                        invalid.hash(),
                        invalid.encoded(),
                        StatementForge.sign(id, invalid)),
                TestPki.NOW,
                s -> {});
        assertCode(() -> service.activate(2), "policy.schema");
        assertThat(service.active().orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void unsignedVersionCannotBeActivated() throws Exception {
        service.push(Bundles.procurementFiles());
        service.activate(1);
        BundleFiles files = variant("unsigned");
        store.push(
                new PolicyStore.NewBundle(
                        BundleManifest.parse(files.get("manifest.json")), files.hash(), files.encoded(), ""),
                TestPki.NOW,
                s -> {});
        assertCode(() -> service.activate(2), "policy.signature");
        assertThat(service.active().orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void whenTheEventCannotBeRecordedNothingChanges() throws Exception {
        service.push(Bundles.procurementFiles());
        service.activate(1);
        events.failing = true;
        assertCode(() -> service.push(variant("two")), "policy.event");
        assertThat(service.list()).hasSize(1);
        events.failing = false;
        service.push(variant("two"));
        events.failing = true;
        assertCode(() -> service.activate(2), "policy.event");
        assertThat(service.active().map(PolicyStore.Activation::version)).isEqualTo(Optional.of(1L));
    }

    @Test
    void rollbackWithNothingToRollBackTo() throws Exception {
        assertCode(() -> service.rollback(), "policy.unknown_version");
        service.push(Bundles.procurementFiles());
        service.activate(1);
        assertCode(() -> service.rollback(), "policy.unknown_version");
    }

    private void update(String sql, byte[] value) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, value);
            ps.executeUpdate();
        }
    }

    private void updateText(String sql, String value) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            ps.executeUpdate();
        }
    }
}
