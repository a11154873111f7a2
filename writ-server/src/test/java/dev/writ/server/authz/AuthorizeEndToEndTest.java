package dev.writ.server.authz;

import static dev.writ.server.authz.AuthzFixture.payload;
import static dev.writ.server.authz.AuthzFixture.purchaseOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.evidence.DenialCommitment;
import dev.writ.core.evidence.DenialVerifier;
import dev.writ.core.evidence.VerifiedDenial;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.VerifiedLogReceipt;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.sae.SaeVerificationException;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import dev.writ.server.api.TestDomain;
import dev.writ.server.forensic.DenialDetailStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The authorize path and human approvals end to end, over a real socket, against a real trust domain. */
class AuthorizeEndToEndTest {
    @TempDir
    static Path tmp;

    static AuthzFixture f;
    static AuthzFixture.Agent buyer;
    static String approver;

    @BeforeAll
    static void start() throws Exception {
        f = new AuthzFixture(tmp.resolve("data"));
        buyer = f.agent("buyer");
        approver = f.operatorToken("approver");
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    static SaeVerifier verifier() throws Exception {
        return SaeVerifier.builder()
                .trustAnchors(List.of(f.root()))
                .clock(InstantSource.system())
                .revocationSource(new InMemoryRevocationSource())
                .nonceStore(new InMemoryNonceStore(InstantSource.system()))
                .build();
    }

    static byte[] saeEntry(String jti, String jws) {
        ObjectNode e = AuthzFixture.JSON.createObjectNode();
        e.put("type", "sae");
        e.put("jti", jti);
        e.put("jws", jws);
        return CanonicalJson.encode(e);
    }

    /** The log entry (as JSON) indexed under a jti, read through the public log API. */
    static JsonNode logEntryByJti(String jti) throws Exception {
        TestDomain.Resp proof = f.d.call("GET", "/v1/log/proof/inclusion?jti=" + jti, null, null);
        assertThat(proof.status()).as(proof.body().toString()).isEqualTo(200);
        TestDomain.Resp entry =
                f.d.call("GET", "/v1/log/entries/" + proof.body().path("index").asLong(), null, null);
        return entry.body().path("json");
    }

    /** The detailed denial record kept for the released denial {@code jti}. */
    static String detailOf(String jti) throws Exception {
        return f.authz.denialDetails().find(jti).orElseThrow().detailJws();
    }

    static List<JsonNode> logEntries(String type) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (long i = 0; i < f.authz.log().size(); i++) {
            JsonNode n = AuthzFixture.JSON.readTree(f.authz.log().entry(i));
            if (type.equals(n.path("type").asText())) {
                out.add(n);
            }
        }
        return out;
    }

    @Test
    void allowReturnsAnEnvelopeThatVerifiesAndAReceiptThatProvesItWasLogged() throws Exception {
        TestDomain.Resp r = f.authorize(buyer.credential(), purchaseOrder(50_000, "acme-supplies", ""));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        JsonNode b = r.body();
        assertThat(b.path("decision").asText()).isEqualTo("allow");
        String sae = b.path("sae").asText();
        String jti = b.path("jti").asText();

        VerifiedAction v = verifier()
                .verify(
                        sae,
                        new HttpBinding("POST", "https://erp.example/orders", HttpBinding.digestBody(new byte[0])));
        assertThat(v.jti()).isEqualTo(jti);
        assertThat(v.agentId()).isEqualTo(buyer.spiffeId());
        assertThat(v.action().name()).isEqualTo("erp.purchase_order.create");
        assertThat(v.policyHash()).isEqualTo(f.authz.pdp().activeHash().orElseThrow());
        assertThat(v.expiresAt().getEpochSecond())
                .isEqualTo(b.path("expires_at").asLong());
        assertThat(v.claims().path("ctx").has("approval")).isFalse();

        // The receipt proves that exactly this entry is in the log, under a checkpoint signed by the log key.
        NoteVerifier key = f.logKey();
        VerifiedLogReceipt receipt = LogReceipt.fromJson(b.path("receipt")).verify(saeEntry(jti, sae), key);
        assertThat(receipt).isNotNull();
        assertThat(b.path("receipt").path("index").asLong())
                .isLessThan(f.authz.log().size());
        assertThatThrownBy(() -> LogReceipt.fromJson(b.path("receipt")).verify(saeEntry(jti, sae + "x"), key))
                .isInstanceOf(Exception.class);
        // The SAE was signed with the agent's key (its certificate is x5c[0]), not a server key.
        assertThat(v.agentCertificate().getSerialNumber().toString(16)).isEqualTo(buyer.serial());
    }

    @Test
    void policyDenialGivesTheAgentOnlyACoarseCodeAndLogsTheDetail() throws Exception {
        TestDomain.Resp r = f.authorize(buyer.credential(), purchaseOrder(50_000, "evil-corp", ""));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body().path("decision").asText()).isEqualTo("deny");
        assertThat(r.body().path("code").asText()).isEqualTo("denied.policy");
        assertThat(r.body().size()).isEqualTo(3);
        String denial = r.body().path("denial").asText();
        JsonNode claims = payload(denial);
        // Invariant 9: neither the body nor the signed denial handed over names a policy.
        assertThat(r.body().toString()).doesNotContain("unlisted-counterparty");
        assertThat(new String(java.util.Base64.getUrlDecoder().decode(denial.split("\\.")[1]), StandardCharsets.UTF_8))
                .doesNotContain("unlisted-counterparty");
        assertThat(claims.path("reasons").toString()).isEqualTo("[\"denied.policy\"]");
        assertThat(claims.path("agent").path("id").asText()).isEqualTo(buyer.spiffeId());
        assertThat(payloadHeaderTyp(denial)).isEqualTo(Envelopes.DENIAL_TYP);

        // The public log entry holds only the released denial: nothing in it names the policy (invariant 9).
        JsonNode entry = logEntryByJti(claims.path("jti").asText());
        assertThat(entry.path("type").asText()).isEqualTo("denial");
        assertThat(entry.path("jws").asText()).isEqualTo(denial);
        assertThat(entry.has("detail")).isFalse();
        assertThat(entry.toString()).doesNotContain("unlisted-counterparty");
        // The detailed denial is kept for auditors, and opens the commitment the released record signs.
        DenialDetailStore.Detail stored =
                f.authz.denialDetails().find(claims.path("jti").asText()).orElseThrow();
        JsonNode detail = payload(stored.detailJws());
        assertThat(detail.path("reasons").toString()).contains("unlisted-counterparty");
        assertThat(detail.path("pol").asText()).isEqualTo(claims.path("pol").asText());
        assertThat(claims.path("detail").asText())
                .isEqualTo(DenialCommitment.commit(stored.detailJws(), stored.salt()));
        VerifiedDenial opened = DenialVerifier.trusting(List.of(f.root()))
                .open(DenialVerifier.trusting(List.of(f.root())).verify(denial), stored.detailJws(), stored.salt());
        assertThat(opened.reasons()).containsExactly("denied.policy");
        assertThat(opened.detailedReasons().orElseThrow().toString()).contains("unlisted-counterparty");
    }

    static String payloadHeaderTyp(String compact) throws Exception {
        return AuthzFixture.JSON
                .readTree(java.util.Base64.getUrlDecoder().decode(compact.split("\\.")[0]))
                .path("typ")
                .asText();
    }

    @Test
    void scopeDenialIsDeniedScope() throws Exception {
        String body = "{\"action\":{\"name\":\"payments.transfer\",\"params\":{\"amount\":5,\"currency\":\"EUR\"},"
                + "\"classification\":\"internal\"},\"target\":\"bank\"}";
        TestDomain.Resp r = f.authorize(buyer.credential(), body);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body().path("code").asText()).isEqualTo("denied.scope");
        JsonNode detail = payload(
                detailOf(payload(r.body().path("denial").asText()).path("jti").asText()));
        assertThat(detail.path("reasons").get(0).asText()).startsWith("scope.");
    }

    @Test
    void pendingThenApprovedThenAllowedOnceWithTheApprovalHashInTheEnvelope() throws Exception {
        String body = purchaseOrder(2_000_000, "globex", "");
        TestDomain.Resp p = f.authorize(buyer.credential(), body);
        assertThat(p.status()).as(p.body().toString()).isEqualTo(202);
        assertThat(p.body().path("decision").asText()).isEqualTo("pending");
        String id = p.body().path("approval_id").asText();
        assertThat(p.body().toString()).doesNotContain("po-above-10000-needs-human");

        TestDomain.Resp poll = f.d.call("GET", "/v1/approvals/" + id, buyer.credential(), null);
        assertThat(poll.status()).isEqualTo(200);
        assertThat(poll.body().path("status").asText()).isEqualTo("pending");
        assertThat(poll.body().path("expires_at").asLong())
                .isEqualTo(p.body().path("expires_at").asLong());
        assertThat(poll.body().size()).isEqualTo(3);

        // Asking again before a decision gives the same approval, not a second one for the approvers.
        assertThat(f.authorize(buyer.credential(), body)
                        .body()
                        .path("approval_id")
                        .asText())
                .isEqualTo(id);

        // Redeeming before the decision is still pending.
        TestDomain.Resp early =
                f.authorize(buyer.credential(), purchaseOrder(2_000_000, "globex", ",\"approval_id\":\"" + id + "\""));
        assertThat(early.status()).isEqualTo(202);
        assertThat(early.body().path("approval_id").asText()).isEqualTo(id);

        // Approvers see it, with the policy that asked for a human.
        TestDomain.Resp list = f.d.call("GET", "/api/v1/approvals?status=pending", approver, null);
        assertThat(list.status()).isEqualTo(200);
        JsonNode mine = null;
        for (JsonNode a : list.body().path("approvals")) {
            if (a.path("id").asText().equals(id)) {
                mine = a;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.path("reasons").toString()).contains("po-above-10000-needs-human");
        assertThat(mine.path("agent_id").asText()).isEqualTo(buyer.id());
        assertThat(mine.path("request")
                        .path("action")
                        .path("params")
                        .path("amount")
                        .asLong())
                .isEqualTo(2_000_000);

        // The agent itself cannot approve (nor can any agent), an auditor cannot either.
        TestDomain.Resp self = f.d.call("POST", "/api/v1/approvals/" + id + "/approve", buyer.credential(), null);
        assertThat(self.status()).isEqualTo(403);
        assertThat(self.errorCode()).isEqualTo("auth.agent_forbidden");
        TestDomain.Resp auditor =
                f.d.call("POST", "/api/v1/approvals/" + id + "/approve", f.operatorToken("auditor"), null);
        assertThat(auditor.status()).isEqualTo(403);
        assertThat(auditor.errorCode()).isEqualTo("auth.role");
        assertThat(f.d.call("GET", "/api/v1/approvals", buyer.credential(), null)
                        .status())
                .isEqualTo(403);

        TestDomain.Resp ok =
                f.d.call("POST", "/api/v1/approvals/" + id + "/approve", approver, "{\"comment\":\"budget ok\"}");
        assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);
        assertThat(ok.body().path("status").asText()).isEqualTo("approved");
        String decisionHash = ok.body().path("decision").path("hash").asText();
        assertThat(decisionHash).matches("sha256:[0-9a-f]{64}");
        // Decided once.
        TestDomain.Resp again = f.d.call("POST", "/api/v1/approvals/" + id + "/deny", approver, null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.errorCode()).isEqualTo("approval.not_pending");

        assertThat(f.d.call("GET", "/v1/approvals/" + id, buyer.credential(), null)
                        .body()
                        .path("status")
                        .asText())
                .isEqualTo("approved");

        String redeem = purchaseOrder(2_000_000, "globex", ",\"approval_id\":\"" + id + "\"");
        TestDomain.Resp allowed = f.authorize(buyer.credential(), redeem);
        assertThat(allowed.status()).as(allowed.body().toString()).isEqualTo(200);
        VerifiedAction v = verifier().verify(allowed.body().path("sae").asText());
        assertThat(v.claims().path("ctx").path("approval").asText()).isEqualTo(decisionHash);

        // The approval hash names a signed approval decision in the log, by the approver.
        JsonNode logged = null;
        for (JsonNode e : logEntries("approval")) {
            if (Envelopes.hash(e.path("jws").asText()).equals(decisionHash)) {
                logged = e;
            }
        }
        assertThat(logged).isNotNull();
        assertThat(logged.path("event").asText()).isEqualTo("approved");
        JsonNode decision = payload(logged.path("jws").asText());
        assertThat(decision.path("approver").path("role").asText()).isEqualTo("approver");
        assertThat(decision.path("id").asText()).isEqualTo(id);
        assertThat(logEntries("approval").stream()
                        .anyMatch(e -> e.path("id").asText().equals(id)
                                && e.path("event").asText().equals("requested")))
                .isTrue();

        // Single use.
        TestDomain.Resp reuse = f.authorize(buyer.credential(), redeem);
        assertThat(reuse.status()).isEqualTo(403);
        assertThat(reuse.body().path("code").asText()).isEqualTo("denied");
        assertThat(detailReasons(reuse)).contains("approval.used");
    }

    static String detailReasons(TestDomain.Resp deny) throws Exception {
        String jti = payload(deny.body().path("denial").asText()).path("jti").asText();
        return payload(detailOf(jti)).path("reasons").toString();
    }

    String approvedFor(AuthzFixture.Agent agent, long amount) throws Exception {
        TestDomain.Resp p = f.authorize(agent.credential(), purchaseOrder(amount, "globex", ""));
        assertThat(p.status()).isEqualTo(202);
        String id = p.body().path("approval_id").asText();
        assertThat(f.d.call("POST", "/api/v1/approvals/" + id + "/approve", approver, null)
                        .status())
                .isEqualTo(200);
        return id;
    }

    @Test
    void anApprovalIsBoundToItsRequestAndItsAgent() throws Exception {
        String id = approvedFor(buyer, 3_000_000);
        // Another amount: a different request.
        TestDomain.Resp other =
                f.authorize(buyer.credential(), purchaseOrder(3_000_001, "globex", ",\"approval_id\":\"" + id + "\""));
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.body().path("code").asText()).isEqualTo("denied");
        assertThat(detailReasons(other)).contains("approval.request_mismatch");

        // Another agent with the same request and the approval id.
        AuthzFixture.Agent thief = f.agent("thief");
        TestDomain.Resp stolen =
                f.authorize(thief.credential(), purchaseOrder(3_000_000, "globex", ",\"approval_id\":\"" + id + "\""));
        assertThat(stolen.status()).isEqualTo(403);
        assertThat(detailReasons(stolen)).contains("approval.agent_mismatch");
        assertThat(f.d.call("GET", "/v1/approvals/" + id, thief.credential(), null)
                        .status())
                .isEqualTo(404);

        // Still usable by its owner for the exact request.
        TestDomain.Resp mine =
                f.authorize(buyer.credential(), purchaseOrder(3_000_000, "globex", ",\"approval_id\":\"" + id + "\""));
        assertThat(mine.status()).isEqualTo(200);
    }

    @Test
    void deniedAndExpiredApprovalsAreRefused() throws Exception {
        TestDomain.Resp p = f.authorize(buyer.credential(), purchaseOrder(4_000_000, "globex", ""));
        String denied = p.body().path("approval_id").asText();
        assertThat(f.d.call("POST", "/api/v1/approvals/" + denied + "/deny", approver, null)
                        .status())
                .isEqualTo(200);
        TestDomain.Resp r = f.authorize(
                buyer.credential(), purchaseOrder(4_000_000, "globex", ",\"approval_id\":\"" + denied + "\""));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body().path("code").asText()).isEqualTo("denied.policy");
        assertThat(detailReasons(r)).contains("approval.denied");

        String approved = approvedFor(buyer, 5_000_000);
        TestDomain.Resp pending = f.authorize(buyer.credential(), purchaseOrder(6_000_000, "globex", ""));
        String open = pending.body().path("approval_id").asText();
        try {
            f.shift(Duration.ofHours(2));
            TestDomain.Resp late = f.authorize(
                    buyer.credential(), purchaseOrder(5_000_000, "globex", ",\"approval_id\":\"" + approved + "\""));
            assertThat(late.status()).isEqualTo(403);
            assertThat(detailReasons(late)).contains("approval.expired");
            assertThat(f.d.call("GET", "/v1/approvals/" + approved, buyer.credential(), null)
                            .body()
                            .path("status")
                            .asText())
                    .isEqualTo("expired");
            TestDomain.Resp tooLate = f.d.call("POST", "/api/v1/approvals/" + open + "/approve", approver, null);
            assertThat(tooLate.status()).isEqualTo(409);
            assertThat(tooLate.errorCode()).isEqualTo("approval.expired");
        } finally {
            f.shift(Duration.ZERO);
        }
        TestDomain.Resp unknown =
                f.authorize(buyer.credential(), purchaseOrder(5_000_000, "globex", ",\"approval_id\":\"apr_nope\""));
        assertThat(unknown.status()).isEqualTo(403);
        assertThat(detailReasons(unknown)).contains("approval.not_found");
    }

    @Test
    void credentialsAreChecked() throws Exception {
        String body = purchaseOrder(50_000, "acme-supplies", "");
        TestDomain.Resp missing = f.authorize(null, body);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.errorCode()).isEqualTo("auth.missing");
        TestDomain.Resp wrong = f.authorize("writ_agent_not-a-real-credential", body);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.errorCode()).isEqualTo("auth.invalid");
        TestDomain.Resp operator = f.authorize(f.d.adminToken, body);
        assertThat(operator.status()).isEqualTo(403);
        assertThat(operator.errorCode()).isEqualTo("auth.operator_forbidden");
        TestDomain.Resp agentOnOperator = f.d.call("GET", "/api/v1/approvals?status=pending", buyer.credential(), null);
        assertThat(agentOnOperator.status()).isEqualTo(403);
        assertThat(agentOnOperator.errorCode()).isEqualTo("auth.agent_forbidden");
        assertThat(f.d.call("GET", "/v1/approvals/apr_x", approver, null).status())
                .isEqualTo(403);
    }

    @Test
    void aRevokedAgentIsRefused() throws Exception {
        AuthzFixture.Agent doomed = f.agent("doomed");
        String body = purchaseOrder(50_000, "acme-supplies", "");
        assertThat(f.authorize(doomed.credential(), body).status()).isEqualTo(200);
        TestDomain.Resp rev = f.d.call(
                "DELETE", "/api/v1/certificates/" + doomed.serial() + "?reason=keyCompromise", f.d.adminToken, null);
        assertThat(rev.status()).as(rev.body().toString()).isEqualTo(200);
        TestDomain.Resp r = f.authorize(doomed.credential(), body);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body().has("sae")).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "unknown top-level field | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\"},\"target\":\"t\",\"admin\":true} | request.unknown_field",
                "unknown action field | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\",\"scope\":1},\"target\":\"t\"} | request.unknown_field",
                "float amount | {\"action\":{\"name\":\"erp.purchase_order.create\",\"params\":{\"amount\":10.5,\"currency\":\"EUR\"},\"classification\":\"public\"},\"target\":\"t\"} | request.invalid",
                "missing classification | {\"action\":{\"name\":\"budget.lookup\"},\"target\":\"t\"} | request.invalid",
                "bad classification | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"secret\"},\"target\":\"t\"} | request.invalid",
                "missing target | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\"}} | request.invalid",
                "bad body digest | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\",\"http\":{\"method\":\"GET\",\"url\":\"u\",\"body\":\"md5:x\"}},\"target\":\"t\"} | request.invalid",
                "risk out of range | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\"},\"target\":\"t\",\"context\":{\"risk\":101}} | request.invalid",
                "bad parent | {\"action\":{\"name\":\"budget.lookup\",\"classification\":\"public\"},\"target\":\"t\",\"context\":{\"parent_chain\":[\"sha256:zz\"]}} | request.invalid",
                "not json | {oops | request.malformed_json",
            })
    void malformedRequestsAre400AndReleaseNothing(String what, String body, String code) throws Exception {
        long size = f.authz.log().size();
        TestDomain.Resp r = f.authorize(buyer.credential(), body);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(f.authz.log().size()).isEqualTo(size);
    }

    @Test
    void highRiskIsDeniedAndTheEnvelopeCarriesTheContext() throws Exception {
        String body = purchaseOrder(50_000, "acme-supplies", "").replace("\"risk\":0", "\"risk\":90");
        TestDomain.Resp r = f.authorize(buyer.credential(), body);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body().path("code").asText()).isEqualTo("denied.policy");

        String parent = Envelopes.hash("x.y.z");
        String ok = purchaseOrder(60_000, "acme-supplies", "")
                .replace("\"parent_chain\":[]", "\"parent_chain\":[\"" + parent + "\"]")
                .replace("\"risk\":0", "\"risk\":10");
        TestDomain.Resp a = f.authorize(buyer.credential(), ok);
        assertThat(a.status()).isEqualTo(200);
        JsonNode ctx = payload(a.body().path("sae").asText()).path("ctx");
        assertThat(ctx.path("session").asText()).isEqualTo("s-1");
        assertThat(ctx.path("parent_chain").get(0).asText()).isEqualTo(parent);
        assertThat(ctx.path("risk").asInt()).isEqualTo(10);
    }

    @Test
    void aTamperedEnvelopeDoesNotVerify() throws Exception {
        TestDomain.Resp r = f.authorize(buyer.credential(), purchaseOrder(70_000, "initech", ""));
        String sae = r.body().path("sae").asText();
        String[] p = sae.split("\\.");
        JsonNode claims = payload(sae);
        ((ObjectNode) claims.path("act").path("params")).put("amount", 7_000_000);
        String forged = p[0] + "."
                + java.util.Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(AuthzFixture.JSON.writeValueAsBytes(claims))
                + "." + p[2];
        assertThatThrownBy(() -> verifier().verify(forged)).isInstanceOf(SaeVerificationException.class);
    }

    @Test
    void concurrentRedemptionsOfOneApprovalYieldOneEnvelope() throws Exception {
        String id = approvedFor(buyer, 7_000_000);
        String body = purchaseOrder(7_000_000, "globex", ",\"approval_id\":\"" + id + "\"");
        List<java.util.concurrent.CompletableFuture<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return f.authorize(buyer.credential(), body).status();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<Integer> statuses = new ArrayList<>();
        for (var c : calls) {
            statuses.add(c.get(30, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertThat(statuses).containsOnly(200, 403);
        assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(1);
    }
}
