package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.scope.ScopeViolation;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PolicyDecisionPointTest {
    static final AgentPrincipal BUYER = new AgentPrincipal("buyer-1", "acme", "buyer", null, 0, null);
    static final PolicyDecisionPoint.ScopeGate WITHIN_SCOPE = (a, t) -> {};

    private final TestPki pki = TestPki.create("policy CA");
    private final PolicySigningIdentity identity = pki.identity();
    private final RecordingEvents events = new RecordingEvents();
    private final BundleVerifier verifier = new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW));

    static ActionRequest po(long amount, String currency, String counterparty) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", amount);
        p.put("currency", currency);
        p.put("counterparty", counterparty);
        return new ActionRequest("erp.purchase_order.create", "erp", p, Classification.INTERNAL, null);
    }

    private PolicyDecisionPoint loaded(BundleFiles files) throws Exception {
        // A generous limit: these tests are about outcomes, and the build machine is shared (timeouts: below).
        PolicyDecisionPoint pdp =
                PolicyDecisionPoint.create(verifier, events, System::nanoTime, Duration.ofSeconds(30));
        pdp.load(files, BundleSigner.sign(CompiledBundle.compile(files), identity, TestPki.NOW));
        return pdp;
    }

    @Test
    void allowDenyAndPendingApprovalCarryTheBundleHash() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        PolicyDecisionPoint pdp = loaded(files);
        String hash = files.hash();
        assertThat(pdp.activeHash()).contains(hash);

        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(500_000, "EUR", "globex"), RequestSignals.NONE, TestPki.NOW))
                .isEqualTo(new Decision.Allow(hash, List.of("create-purchase-order")));
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(2_000_000, "EUR", "globex"), RequestSignals.NONE, TestPki.NOW))
                .isEqualTo(new Decision.PendingApproval(hash, List.of("po-above-10000-needs-human")));
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(500_000, "EUR", "evil-corp"), RequestSignals.NONE, TestPki.NOW))
                .isEqualTo(new Decision.Deny(hash, List.of("unlisted-counterparty")));
        RequestSignals approved = new RequestSignals(0, "verified", Set.of("human"));
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(2_000_000, "EUR", "globex"), approved, TestPki.NOW))
                .isInstanceOf(Decision.Allow.class);
    }

    @Test
    void scopeIsCheckedFirstAndIsFinal() throws Exception {
        PolicyDecisionPoint pdp = loaded(Bundles.procurementFiles());
        Decision d = pdp.decide(
                BUYER,
                (a, t) -> {
                    throw new ScopeViolation("scope.amount", "above the certificate's limit");
                },
                po(500_000, "EUR", "globex"),
                RequestSignals.NONE,
                TestPki.NOW);
        assertThat(d).isEqualTo(new Decision.Deny(Bundles.procurementFiles().hash(), List.of("scope.amount")));
        // A scope implementation that blows up is a denial too.
        Decision broken = pdp.decide(
                BUYER,
                (a, t) -> {
                    throw new UnsupportedOperationException("pending");
                },
                po(500_000, "EUR", "globex"),
                RequestSignals.NONE,
                TestPki.NOW);
        assertThat(broken)
                .isEqualTo(new Decision.Deny(Bundles.procurementFiles().hash(), List.of("scope.error")));
        assertThat(pdp.decide(
                        BUYER,
                        (dev.writ.core.scope.Scope) null,
                        po(1, "EUR", "globex"),
                        RequestSignals.NONE,
                        TestPki.NOW))
                .isEqualTo(new Decision.Deny(Bundles.procurementFiles().hash(), List.of("scope.missing")));
    }

    @Test
    void withoutABundleEverythingIsDenied() {
        PolicyDecisionPoint pdp = PolicyDecisionPoint.create(verifier, events);
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(1, "EUR", "globex"), RequestSignals.NONE, TestPki.NOW))
                .isEqualTo(new Decision.Deny(Decision.NO_POLICY, List.of("policy.none_active")));
    }

    @Test
    void anEvaluationErrorIsADenyEvenWhenAPermitApplies() throws Exception {
        // The forbid overflows at run time; Cedar would skip it and allow. Writ refuses.
        PolicyDecisionPoint pdp = loaded(BundleFiles.of(Bundles.procurementWith(
                "overflow.cedar",
                "@id(\"overflow\")\nforbid (principal, action, resource)\n"
                        + "when { context has amount && context.amount * 4611686018427387904 > 0 };")));
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(500_000, "EUR", "globex"), RequestSignals.NONE, TestPki.NOW))
                .isInstanceOfSatisfying(Decision.Deny.class, d -> assertThat(d.reasonCodes())
                        .containsExactly("policy.evaluation_error"));
        // The same bundle without an amount evaluates cleanly.
        ActionRequest lookup = new ActionRequest(
                "budget.lookup", "finance", JsonNodeFactory.instance.objectNode(), Classification.INTERNAL, null);
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, lookup, RequestSignals.NONE, TestPki.NOW))
                .isInstanceOf(Decision.Allow.class);
    }

    @Test
    void aMalformedAmountIsADeny() throws Exception {
        PolicyDecisionPoint pdp = loaded(Bundles.procurementFiles());
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", 12.5);
        p.put("currency", "EUR");
        p.put("counterparty", "globex");
        ActionRequest fractional =
                new ActionRequest("erp.purchase_order.create", "erp", p, Classification.INTERNAL, null);
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, fractional, RequestSignals.NONE, TestPki.NOW))
                .isInstanceOfSatisfying(
                        Decision.Deny.class, d -> assertThat(d.reasonCodes()).containsExactly("policy.bad_request"));
    }

    @Test
    void aSlowEvaluationIsADeny() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        AtomicLong clock = new AtomicLong();
        // Each reading of the ticker advances one second: every evaluation "takes" a second.
        PolicyDecisionPoint pdp = PolicyDecisionPoint.create(
                verifier, events, () -> clock.getAndAdd(1_000_000_000L), Duration.ofMillis(50));
        pdp.load(files, BundleSigner.sign(CompiledBundle.compile(files), identity, TestPki.NOW));
        assertThat(pdp.decide(BUYER, WITHIN_SCOPE, po(500_000, "EUR", "globex"), RequestSignals.NONE, TestPki.NOW))
                .isEqualTo(new Decision.Deny(files.hash(), List.of("policy.timeout")));
        assertThatThrownBy(() -> PolicyDecisionPoint.create(verifier, events, clock::get, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyBundlesSignedUnderThePolicyCaAreLoaded() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        PolicyDecisionPoint pdp = loaded(files);
        BundleFiles other =
                BundleFiles.of(Bundles.procurementWith("allow-all.cedar", "permit (principal, action, resource);"));
        String rogue = BundleSigner.sign(
                CompiledBundle.compile(other), TestPki.create("rogue").identity(), TestPki.NOW);
        assertThatThrownBy(() -> pdp.load(other, rogue))
                .isInstanceOfSatisfying(
                        PolicyException.class, e -> assertThat(e.code()).isEqualTo("policy.signature"));
        assertThat(pdp.activeHash()).contains(files.hash());
    }

    @Test
    void contentThatDriftedFromTheSignedHashIsRefusedAndReported() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        String statement = BundleSigner.sign(CompiledBundle.compile(files), identity, TestPki.NOW);
        PolicyDecisionPoint pdp = PolicyDecisionPoint.create(verifier, events);
        pdp.load(files, statement);
        BundleFiles drifted =
                BundleFiles.of(Bundles.procurementWith("allow-all.cedar", "permit (principal, action, resource);"));
        assertThatThrownBy(() -> pdp.load(drifted, statement))
                .isInstanceOfSatisfying(
                        PolicyException.class, e -> assertThat(e.code()).isEqualTo("policy.hash_mismatch"));
        assertThat(pdp.activeHash()).contains(files.hash());
        assertThat(events.types()).containsExactly("policy.drift");
        assertThat(events.events.get(0).body().get("expected").asText()).isEqualTo(files.hash());
        assertThat(events.events.get(0).body().get("actual").asText()).isEqualTo(drifted.hash());

        pdp.reconcile(files.hash());
        assertThat(events.types()).hasSize(1);
        pdp.reconcile(drifted.hash());
        assertThat(events.types()).containsExactly("policy.drift", "policy.drift");
    }
}
