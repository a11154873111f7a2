package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeViolation;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * With real certificate scopes and the most permissive bundle: the decision is exactly the scope's verdict, so no
 * permit ever widens a certificate.
 */
class RealScopePropertyTest {
    private static PolicyDecisionPoint permitEverything;
    private static String hash;

    @BeforeContainer
    static void load() throws Exception {
        TestPki pki = TestPki.create("policy CA");
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
    Arbitrary<String> patterns() {
        return Arbitraries.of("erp.*", "erp.purchase_order.create", "budget.lookup", "*", "payments.*");
    }

    @Provide
    Arbitrary<String> actions() {
        return Arbitraries.of("erp.purchase_order.create", "erp.invoice.pay", "budget.lookup", "payments.transfer");
    }

    @Provide
    Arbitrary<String> currencies() {
        return Arbitraries.of("EUR", "USD", "JPY");
    }

    @Provide
    Arbitrary<String> parties() {
        return Arbitraries.of("globex", "initech", "evil-corp");
    }

    @Property(tries = 300)
    void decisionIsTheScopeVerdictWhenCedarPermitsEverything(
            @ForAll("patterns") String pattern,
            @ForAll @LongRange(min = 0, max = 5_000_000) long limit,
            @ForAll boolean anyCounterparty,
            @ForAll Classification maxClassification,
            @ForAll("actions") String action,
            @ForAll @LongRange(min = 0, max = 5_000_000) long amount,
            @ForAll("currencies") String currency,
            @ForAll("parties") String counterparty,
            @ForAll Classification classification)
            throws Exception {
        Scope scope = Scope.parseJson("{\"actions\":[\"" + pattern + "\"],\"limits\":{\"EUR\":" + limit + ",\"USD\":"
                + limit + "},\"counterparties\":[\"" + (anyCounterparty ? "*" : "globex") + "\"],\"regions\":[\"*\"],"
                + "\"hours\":\"*\",\"classification\":\"" + maxClassification.wireName() + "\",\"delegation\":0}");
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", amount);
        p.put("currency", currency);
        p.put("counterparty", counterparty);
        ActionRequest req = new ActionRequest(action, "erp", p, classification, null);
        AgentPrincipal agent = new AgentPrincipal("a", "t", "n", null, 0, null);

        Decision d = permitEverything.decide(
                agent, scope, req, new RequestSignals(0, "verified", Set.of("human")), TestPki.NOW);
        try {
            scope.check(req, TestPki.NOW);
            assertThat(d).isInstanceOfSatisfying(Decision.Allow.class, a -> assertThat(a.policyIds())
                    .contains("everything"));
        } catch (ScopeViolation v) {
            assertThat(d).isEqualTo(new Decision.Deny(hash, List.of(v.code())));
        }
    }
}
