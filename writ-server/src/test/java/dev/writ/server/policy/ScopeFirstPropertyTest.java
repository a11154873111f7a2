package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.scope.ScopeViolation;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/** A scope denial can never be overridden by a Cedar permit, whatever the policy and the request. */
class ScopeFirstPropertyTest {
    private static PolicyDecisionPoint permitEverything;
    private static String hash;

    @BeforeContainer
    static void load() throws Exception {
        TestPki pki = TestPki.create("policy CA");
        // The most permissive bundle possible: every action allowed, nothing forbidden.
        BundleFiles files = BundleFiles.of(Bundles.procurementWith(
                "guardrails.cedar", "@id(\"everything\")\npermit (principal, action, resource);"));
        permitEverything = PolicyDecisionPoint.create(
                new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW)),
                new RecordingEvents(),
                System::nanoTime,
                // Generous: these properties are about scope, not speed, and the build machine is shared.
                java.time.Duration.ofSeconds(30));
        permitEverything.load(files, BundleSigner.sign(CompiledBundle.compile(files), pki.identity(), TestPki.NOW));
        hash = files.hash();
    }

    @Provide
    Arbitrary<String> scopeCodes() {
        return Arbitraries.of(
                "scope.action",
                "scope.amount",
                "scope.currency",
                "scope.counterparty",
                "scope.region",
                "scope.hours",
                "scope.classification");
    }

    @Provide
    Arbitrary<String> actions() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "erp.purchase_order.create", "budget.lookup", "approval.route", "procurement.request.analyse"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20));
    }

    @Property(tries = 300)
    void scopeDenialIsFinal(
            @ForAll("scopeCodes") String code,
            @ForAll("actions") String action,
            @ForAll long amount,
            @ForAll Classification classification,
            @ForAll boolean humanApproved,
            @ForAll("risk") int risk) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", amount);
        p.put("currency", "EUR");
        p.put("counterparty", "globex");
        ActionRequest req = new ActionRequest(action, "erp", p, classification, null);
        RequestSignals signals = new RequestSignals(risk, "verified", humanApproved ? Set.of("human") : Set.of());
        AgentPrincipal agent = new AgentPrincipal("a", "t", "n", null, 0, null);

        // Cedar alone would allow ...
        assertThat(permitEverything.decide(agent, (a, t) -> {}, req, signals, TestPki.NOW))
                .isInstanceOf(Decision.Allow.class);
        // ... but the certificate's scope refuses, and that is the decision.
        Decision d = permitEverything.decide(
                agent,
                (a, t) -> {
                    throw new ScopeViolation(code, "outside the certificate's scope");
                },
                req,
                signals,
                TestPki.NOW);
        assertThat(d).isEqualTo(new Decision.Deny(hash, List.of(code)));
    }

    @Provide
    Arbitrary<Integer> risk() {
        return Arbitraries.integers().between(0, 100);
    }
}
