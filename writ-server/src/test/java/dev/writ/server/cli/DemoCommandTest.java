package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ demo} in-process: every outcome the scenario claims is checked from its JSON report. */
class DemoCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theDemoRunsEveryStepWithTheExpectedOutcome() throws Exception {
        Path data = tmp.resolve("demo");
        CliTest.Run run = CliTest.writ("demo", "--json", "--data", data.toString());
        JsonNode doc = JSON.readTree(run.out());
        Map<String, JsonNode> steps = steps(doc);
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(doc.path("ok").asBoolean()).isTrue();
        assertThat(doc.path("passed").asInt()).isEqualTo(doc.path("total").asInt());
        assertThat(doc.path("sections")).hasSize(5);
        assertThat(steps.values())
                .allSatisfy(s ->
                        assertThat(s.path("ok").asBoolean()).as(s.toString()).isTrue());
        assertThat(run.out()).doesNotContain("writ_op_").doesNotContain("writ_agent_");

        // The workflow: allow, allow, allow; pending; approved; allow with the approval; one PO executed.
        assertThat(facts(steps, "sae1").path("decision").asText()).isEqualTo("allow");
        assertThat(facts(steps, "sae2").path("parent_chain").get(0).asText())
                .isEqualTo(facts(steps, "sae1").path("hash").asText());
        assertThat(facts(steps, "sae3").path("parent_chain").get(0).asText())
                .isEqualTo(facts(steps, "sae2").path("hash").asText());
        assertThat(facts(steps, "po.pending").path("decision").asText()).isEqualTo("pending");
        assertThat(facts(steps, "po.pending").path("approval_id").asText()).startsWith("apr_");
        assertThat(facts(steps, "po.approved").path("status").asText()).isEqualTo("approved");
        JsonNode sae4 = facts(steps, "sae4");
        assertThat(sae4.path("decision").asText()).isEqualTo("allow");
        assertThat(sae4.path("approval").asText()).startsWith("sha256:");
        assertThat(sae4.path("parent_chain").get(0).asText())
                .isEqualTo(facts(steps, "sae3").path("hash").asText());
        assertThat(facts(steps, "erp.executed").path("http_status").asInt()).isEqualTo(201);
        assertThat(facts(steps, "erp.executed").path("erp_executed").asInt()).isEqualTo(1);
        assertThat(facts(steps, "erp.executed").path("envelope_forwarded").asBoolean())
                .isTrue();

        // The attacks: coarse signed denial, replay refused, scope capped, revoked agent refused twice.
        JsonNode injected = facts(steps, "attack.unlisted_counterparty");
        assertThat(injected.path("decision").asText()).isEqualTo("deny");
        assertThat(injected.path("code").asText()).isIn("denied", "denied.scope", "denied.policy");
        assertThat(injected.path("signed_denial").asText()).isEqualTo("sae-denial+jwt");
        assertThat(injected.path("denial_verified").asBoolean()).isTrue();
        assertThat(injected.path("detail_committed").asBoolean()).isTrue();
        JsonNode replay = facts(steps, "attack.replay");
        assertThat(replay.path("code").asText()).isEqualTo("sae.replay");
        assertThat(replay.path("erp_executed").asInt()).isEqualTo(1);
        JsonNode capped = facts(steps, "attack.scope_escalation");
        assertThat(capped.path("requested").path("limits").path("EUR").asLong()).isEqualTo(100_000_000L);
        assertThat(capped.path("issued").path("limits").path("EUR").asLong()).isEqualTo(5_000_000L);
        assertThat(capped.path("issued").path("limits").has("USD")).isFalse();
        assertThat(capped.path("issued").path("actions").toString()).isEqualTo("[\"erp.purchase_order.create\"]");
        assertThat(capped.path("issued").path("classification").asText()).isEqualTo("confidential");
        JsonNode revoked = facts(steps, "attack.revoked");
        assertThat(revoked.path("server_status").asInt()).isEqualTo(401);
        assertThat(revoked.path("gateway_code").asText()).isEqualTo("sae.revoked");
        assertThat(revoked.path("gateway_knew_after_ms").asLong()).isBetween(0L, 1000L);
        assertThat(revoked.path("cascaded")).hasSize(1);
        assertThat(revoked.path("erp_executed").asInt()).isEqualTo(1);

        // The evidence: every envelope and every receipt verified, the log grew consistently.
        JsonNode envelopes = facts(steps, "evidence.envelopes");
        assertThat(envelopes.path("verified").asInt())
                .isEqualTo(5)
                .isEqualTo(envelopes.path("total").asInt());
        JsonNode receipts = facts(steps, "evidence.receipts");
        assertThat(receipts.path("verified").asInt()).isEqualTo(5);
        assertThat(receipts.path("log_indices")).hasSize(5);
        JsonNode consistency = facts(steps, "evidence.consistency");
        assertThat(consistency.path("to_size").asLong())
                .isGreaterThan(consistency.path("from_size").asLong());

        // Step 5, forensics: SAE4's chain of custody back to SAE1, every link verified; the bundle verified offline.
        JsonNode forensics = facts(steps, "evidence.forensics");
        assertThat(forensics.path("chain")).hasSize(4);
        assertThat(forensics.path("chain").get(0).asText())
                .isEqualTo(sae4.path("jti").asText());
        assertThat(forensics.path("chain").get(3).asText())
                .isEqualTo(facts(steps, "sae1").path("jti").asText());
        assertThat(forensics.path("approval_bound").asBoolean()).isTrue();
        assertThat(forensics.path("all_checks_passed").asBoolean()).isTrue();
        assertThat(forensics.path("policy").asText()).startsWith("procurement");
        assertThat(forensics.path("related_denials").asInt()).isEqualTo(1);
        JsonNode bundle = facts(steps, "evidence.bundle");
        assertThat(bundle.path("http_status").asInt()).isEqualTo(200);
        assertThat(bundle.path("envelopes").asInt()).isEqualTo(4);
        assertThat(bundle.path("denials").asInt()).isEqualTo(1);
        // Invariant 9: the detail is in the auditor's bundle (opened from the commitment), never in the agent's answer.
        assertThat(bundle.path("denial_detail").toString()).contains("scope.counterparty");
        assertThat(injected.toString()).doesNotContain("scope.counterparty");
        assertThat(bundle.path("tampered_code").asText()).isEqualTo("evidence.file_hash");
        assertThat(bundle.path("tampered_file").asText()).startsWith("envelopes/");
        JsonNode refused = facts(steps, "evidence.forensics_denied_to_agents");
        assertThat(refused.path("http_status").asInt()).isEqualTo(403);
        assertThat(refused.path("code").asText()).isEqualTo("auth.agent_forbidden");

        // --data is kept, holds the domain, and a second run refuses it.
        assertThat(data.resolve("domain.json")).exists();
        CliTest.Run again = CliTest.writ("demo", "--data", data.toString());
        assertThat(again.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("not empty");
    }

    @Test
    void withoutDataTheDemoPrintsSectionsAndLeavesNothingBehind() throws Exception {
        long before = countDemoDirs();
        CliTest.Run run = CliTest.writ("demo");
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out())
                .contains("1. Trust domain, policy and services")
                .contains("5. Evidence, verified offline")
                .contains("✓ 4.2 SAE4 replayed")
                .doesNotContain("✗")
                .contains("✓ demo passed: 25/25");
        assertThat(countDemoDirs()).isEqualTo(before);
    }

    private static long countDemoDirs() throws Exception {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("writ-demo-"))
                    .count();
        }
    }

    private static Map<String, JsonNode> steps(JsonNode doc) {
        Map<String, JsonNode> m = new HashMap<>();
        for (JsonNode section : doc.path("sections")) {
            for (JsonNode step : section.path("steps")) {
                m.put(step.path("id").asText(), step);
            }
        }
        return m;
    }

    private static JsonNode facts(Map<String, JsonNode> steps, String id) {
        assertThat(steps).containsKey(id);
        return steps.get(id).path("facts");
    }
}
