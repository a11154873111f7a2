package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Evaluating a request on its action's policy subset decides exactly as evaluating it on the whole bundle. */
class ActionPartitionPropertyTest {
    private static CompiledBundle bundle;

    @BeforeContainer
    static void compile() throws Exception {
        bundle = CompiledBundle.compile(
                BundleFiles.of(
                        Bundles.procurementWith(
                                "mixed.cedar",
                                """
                @id("lookup-or-route")
                permit (principal, action in [Writ::Action::"budget.lookup", Writ::Action::"approval.route"], resource)
                when { principal.tenant == "acme" };

                @id("unscoped-unattested")
                forbid (principal, action, resource)
                when { context.attestation == "none" && context has amount && context.amount > 500000 };

                @id("tenant-po")
                permit (principal, action == Writ::Action::"erp.purchase_order.create", resource)
                when { principal.tenant == "acme" && context has counterparty };

                @id("deep-delegation")
                @approval("human")
                forbid (principal, action == Writ::Action::"approval.route", resource)
                when { principal.delegationDepth > 1 }
                unless { context.approvals.contains("human") };
                """)));
    }

    @Provide
    Arbitrary<String> actions() {
        return Arbitraries.of(
                "erp.purchase_order.create",
                "budget.lookup",
                "approval.route",
                "procurement.request.analyse",
                "payments.transfer");
    }

    @Provide
    Arbitrary<String> parties() {
        return Arbitraries.of("globex", "initech", "evil-corp");
    }

    @Property(tries = 400)
    void sameDecision(
            @ForAll("actions") String action,
            @ForAll @LongRange(min = 0, max = 3_000_000) long amount,
            @ForAll boolean withCounterparty,
            @ForAll("parties") String counterparty,
            @ForAll Classification classification,
            @ForAll @IntRange(min = 0, max = 100) int risk,
            @ForAll boolean attested,
            @ForAll boolean approved,
            @ForAll boolean acme,
            @ForAll @IntRange(min = 0, max = 3) int depth) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("amount", amount);
        p.put("currency", "EUR");
        if (withCounterparty) {
            p.put("counterparty", counterparty);
        }
        ActionRequest req = new ActionRequest(action, "erp", p, classification, null);
        AgentPrincipal agent = new AgentPrincipal("a", acme ? "acme" : "other", "n", null, depth, null);
        RequestSignals signals =
                new RequestSignals(risk, attested ? "verified" : "none", approved ? Set.of("human") : Set.of());
        assertThat(bundle.evaluate(agent, req, signals, TestPki.NOW))
                .isEqualTo(bundle.evaluateOnAllPolicies(agent, req, signals, TestPki.NOW));
    }
}
