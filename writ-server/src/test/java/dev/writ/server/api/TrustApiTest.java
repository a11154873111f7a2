package dev.writ.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.core.cert.AgentCertificates;
import dev.writ.core.cert.AgentIdentity;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.ca.OcspResponder;
import dev.writ.server.ca.Pem;
import dev.writ.server.custody.SoftwareCustody;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.store.StoredEvent;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The agent lifecycle and its refusals, over a real socket. */
class TrustApiTest {
    @TempDir
    static Path tmp;

    static TestDomain d;
    static final List<RevocationEvent> bus = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        d = TestDomain.start(tmp.resolve("data"));
        d.runtime.revocations().subscribe(bus::add);
    }

    @AfterAll
    static void stop() throws Exception {
        d.close();
    }

    /** Rows and custody keys: what a refused request must leave unchanged. */
    record Counts(long agents, long certs, long credentials, int keys) {}

    static Counts counts() throws Exception {
        return d.runtime
                .store()
                .inTransaction(tx -> new Counts(
                        tx.agents().count(),
                        tx.certificates().count(),
                        tx.credentials().count(),
                        keys()));
    }

    static int keys() {
        try {
            return ((SoftwareCustody) d.runtime.custody()).handles().size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String scope(String limits, int delegation) {
        return TestDomain.SCOPE
                .replace("{\"EUR\":100000}", limits)
                .replace("\"delegation\":2", "\"delegation\":" + delegation);
    }

    @Test
    void registersAnAgentWithTheDesignProfile() throws Exception {
        TestDomain.Resp r = d.createAgent("buyer");
        assertThat(r.status()).isEqualTo(201);
        JsonNode b = r.body();
        assertThat(b.path("credential").asText()).startsWith("writ_agent_");
        assertThat(b.path("spiffe_id").asText())
                .isEqualTo("spiffe://writ.local/tenant/acme/agent/"
                        + b.path("agent_id").asText());
        List<byte[]> chain = Pem.decodeCertificates(b.path("chain").asText());
        assertThat(chain).hasSize(2);
        X509Certificate cert = Pem.x509(chain.get(0));
        AgentIdentity id = AgentCertificates.parse(cert);
        assertThat(id.agentId()).isEqualTo(b.path("agent_id").asText());
        assertThat(id.tenant()).isEqualTo("acme");
        assertThat(id.name()).isEqualTo("buyer");
        assertThat(id.scope().limits()).containsEntry("EUR", 100000L);
        assertThat(cert.getSerialNumber().bitLength()).isBetween(100, 128);
        long hours = (cert.getNotAfter().getTime() - Instant.now().toEpochMilli()) / 3_600_000L;
        assertThat(hours).isBetween(23L, 24L);
        assertThat(r.headers()).containsKey("x-request-id");
        // The credential is stored only as a hash.
        String cred = b.path("credential").asText();
        String dump = d.runtime
                .store()
                .inTransaction(tx -> tx.credentials().findActive(cred).orElse("absent"));
        assertThat(dump).isEqualTo("absent");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "malformed scope | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":\"not json\"} | 400 | scope.malformed",
                "empty scope | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":{}} | 400 | scope.empty",
                "missing scope | {\"tenant\":\"acme\",\"name\":\"x\"} | 400 | scope.missing",
                "unknown currency | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE_XXX} | 400 | scope.currency_unknown",
                "negative limit | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE_NEG} | 400 | scope.limit_negative",
                "validity too short | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE,\"validity_seconds\":299} | 400 | validity.out_of_bounds",
                "validity too long | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE,\"validity_seconds\":31536001} | 400 | validity.out_of_bounds",
                "validity not a number | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE,\"validity_seconds\":\"1d\"} | 400 | validity.invalid",
                "unknown field | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE,\"admin\":true} | 400 | request.unknown_field",
                "unknown tenant | {\"tenant\":\"nobody\",\"name\":\"x\",\"scope\":SCOPE} | 404 | tenant.not_found",
                "bad tenant | {\"tenant\":\"a/b\",\"name\":\"x\",\"scope\":SCOPE} | 400 | tenant.invalid",
                "missing name | {\"tenant\":\"acme\",\"scope\":SCOPE} | 400 | name.missing",
                "bad model | {\"tenant\":\"acme\",\"name\":\"x\",\"scope\":SCOPE,\"model\":{\"digest\":\"md5:00\"}} | 400 | model.digest_invalid",
                "not json | {oops | 400 | request.malformed_json",
            })
    void badRegistrationsAreRefusedAndLeaveNothingBehind(String what, String body, int status, String code)
            throws Exception {
        String json = body.replace("SCOPE_XXX", scope("{\"QQQ\":5}", 1))
                .replace("SCOPE_NEG", scope("{\"EUR\":-5}", 1))
                .replace("SCOPE", TestDomain.SCOPE);
        Counts before = counts();
        TestDomain.Resp r = d.call("POST", "/api/v1/agents", d.adminToken, json);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(status);
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(r.body().path("error").path("message").asText()).isNotBlank();
        assertThat(counts()).isEqualTo(before);
    }

    @Test
    void authenticationAndRolesAreEnforced() throws Exception {
        Counts before = counts();
        String body = "{\"tenant\":\"acme\",\"name\":\"x\",\"scope\":" + TestDomain.SCOPE + "}";
        assertThat(d.call("POST", "/api/v1/agents", null, body).errorCode()).isEqualTo("auth.missing");
        TestDomain.Resp wrong = d.call("POST", "/api/v1/agents", "writ_op_wrong", body);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.errorCode()).isEqualTo("auth.invalid");
        assertThat(d.call("POST", "/api/v1/agents", "garbage", body).status()).isEqualTo(401);

        String auditor = operatorToken("auditor");
        TestDomain.Resp forbidden = d.call("POST", "/api/v1/agents", auditor, body);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.errorCode()).isEqualTo("auth.role");
        assertThat(d.call("GET", "/api/v1/agents", auditor, null).status()).isEqualTo(200);
        String approver = operatorToken("approver");
        assertThat(d.call("GET", "/api/v1/certificates", approver, null).status())
                .isEqualTo(403);
        assertThat(counts()).isEqualTo(before);

        // An agent credential never reaches operator endpoints; an operator token never acts as an agent.
        JsonNode agent = d.createAgent("kind-check").body();
        String cred = agent.path("credential").asText();
        TestDomain.Resp agentAsOp = d.call("GET", "/api/v1/agents", cred, null);
        assertThat(agentAsOp.status()).isEqualTo(403);
        assertThat(agentAsOp.errorCode()).isEqualTo("auth.agent_forbidden");
        TestDomain.Resp opAsAgent = d.call(
                "POST",
                "/api/v1/agents/" + agent.path("agent_id").asText() + "/subagents",
                d.adminToken,
                "{\"name\":\"c\",\"scope\":" + TestDomain.SCOPE + "}");
        assertThat(opAsAgent.status()).isEqualTo(403);
        assertThat(opAsAgent.errorCode()).isEqualTo("auth.operator_forbidden");
        assertThat(d.call("POST", "/api/v1/agents/x/subagents", "writ_agent_nope", "{}")
                        .status())
                .isEqualTo(401);
    }

    static String operatorToken(String role) throws Exception {
        String token = dev.writ.server.ca.Tokens.newOperatorToken(new java.security.SecureRandom());
        d.runtime.store().inTransaction(tx -> {
            tx.operatorTokens()
                    .insert(
                            dev.writ.server.ca.Tokens.newId(new java.security.SecureRandom()),
                            dev.writ.server.ca.Tokens.hash(token),
                            role,
                            "test",
                            Instant.now());
            return null;
        });
        return token;
    }

    @Test
    void subAgentsAreCappedByTheirParent() throws Exception {
        JsonNode parent = d.call(
                        "POST",
                        "/api/v1/agents",
                        d.adminToken,
                        "{\"tenant\":\"acme\",\"name\":\"parent\",\"validity_seconds\":3600,\"scope\":"
                                + TestDomain.SCOPE + "}")
                .body();
        String parentId = parent.path("agent_id").asText();
        String cred = parent.path("credential").asText();
        // The child asks for more than the parent has: more money, all actions, longer life, deeper delegation.
        String greedy = TestDomain.SCOPE
                .replace("{\"EUR\":100000}", "{\"EUR\":999999999}")
                .replace("[\"payments.*\",\"erp.read\"]", "[\"*\"]")
                .replace("\"delegation\":2", "\"delegation\":5");
        TestDomain.Resp child = d.call(
                "POST",
                "/api/v1/agents/" + parentId + "/subagents",
                cred,
                "{\"name\":\"child\",\"validity_seconds\":86400,\"scope\":" + greedy + "}");
        assertThat(child.status()).as(child.body().toString()).isEqualTo(201);
        X509Certificate childCert =
                Pem.x509(Pem.decodeCertificates(child.body().path("certificate").asText())
                        .get(0));
        X509Certificate parentCert = Pem.x509(
                Pem.decodeCertificates(parent.path("certificate").asText()).get(0));
        assertThat(childCert.getNotAfter()).isEqualTo(parentCert.getNotAfter());
        AgentIdentity id = AgentCertificates.parse(childCert);
        assertThat(id.scope().limits()).containsEntry("EUR", 100000L);
        assertThat(id.scope().actions()).containsExactlyInAnyOrder("payments.*", "erp.read");
        assertThat(id.scope().delegationDepth()).isEqualTo(1);
        JsonNode shown = d.call(
                        "GET", "/api/v1/agents/" + child.body().path("agent_id").asText(), d.adminToken, null)
                .body();
        assertThat(shown.path("parent").asText()).isEqualTo(parentId);

        // Another agent may not create children of this parent.
        String other = d.createAgent("other").body().path("credential").asText();
        TestDomain.Resp notParent = d.call(
                "POST",
                "/api/v1/agents/" + parentId + "/subagents",
                other,
                "{\"name\":\"c\",\"scope\":" + TestDomain.SCOPE + "}");
        assertThat(notParent.errorCode()).isEqualTo("auth.not_parent");
    }

    @Test
    void aParentWithoutDelegationDepthIsRefusedAndNothingIsWritten() throws Exception {
        JsonNode parent = d.call(
                        "POST",
                        "/api/v1/agents",
                        d.adminToken,
                        "{\"tenant\":\"acme\",\"name\":\"leaf\",\"scope\":" + scope("{\"EUR\":100000}", 0) + "}")
                .body();
        Counts before = counts();
        TestDomain.Resp r = d.call(
                "POST",
                "/api/v1/agents/" + parent.path("agent_id").asText() + "/subagents",
                parent.path("credential").asText(),
                "{\"name\":\"child\",\"scope\":" + scope("{\"EUR\":1}", 1) + "}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("scope.delegation");
        assertThat(counts()).isEqualTo(before);
    }

    @Test
    void revocationCascadesDisablesCredentialsAndIsPublished() throws Exception {
        JsonNode root = d.createAgent("root-agent").body();
        JsonNode child = d.call(
                        "POST",
                        "/api/v1/agents/" + root.path("agent_id").asText() + "/subagents",
                        root.path("credential").asText(),
                        "{\"name\":\"child\",\"scope\":" + TestDomain.SCOPE + "}")
                .body();
        JsonNode grandchild = d.call(
                        "POST",
                        "/api/v1/agents/" + child.path("agent_id").asText() + "/subagents",
                        child.path("credential").asText(),
                        "{\"name\":\"grandchild\",\"scope\":" + TestDomain.SCOPE + "}")
                .body();
        assertThat(grandchild.path("serial").asText()).isNotEmpty();
        X509Certificate gc = Pem.x509(
                Pem.decodeCertificates(grandchild.path("certificate").asText()).get(0));
        assertThat(status(gc)).isSameAs(CertificateStatus.GOOD);

        TestDomain.Resp rev = d.call(
                "DELETE",
                "/api/v1/certificates/" + root.path("serial").asText() + "?reason=keyCompromise",
                d.adminToken,
                null);
        assertThat(rev.status()).isEqualTo(200);
        assertThat(rev.body().path("cascaded"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder(
                        child.path("serial").asText(), grandchild.path("serial").asText());
        assertThat(status(gc)).isInstanceOf(RevokedStatus.class);
        assertThat(bus)
                .extracting(RevocationEvent::serial)
                .contains(grandchild.path("serial").asText());

        // Credentials are disabled at once: the revoked parent cannot ask for a child any more.
        Counts before = counts();
        TestDomain.Resp again = d.call(
                "POST",
                "/api/v1/agents/" + root.path("agent_id").asText() + "/subagents",
                root.path("credential").asText(),
                "{\"name\":\"late\",\"scope\":" + TestDomain.SCOPE + "}");
        assertThat(again.status()).isEqualTo(401);
        assertThat(counts()).isEqualTo(before);
        assertThat(d.runtime.agents().authenticate(child.path("credential").asText()))
                .isEmpty();

        TestDomain.Resp twice =
                d.call("DELETE", "/api/v1/certificates/" + root.path("serial").asText(), d.adminToken, null);
        assertThat(twice.errorCode()).isEqualTo("certificate.already_revoked");
        assertThat(d.call("DELETE", "/api/v1/certificates/abc?reason=bogus", d.adminToken, null)
                        .errorCode())
                .isEqualTo("revocation.reason_invalid");
        assertThat(d.call("DELETE", "/api/v1/certificates/zz", d.adminToken, null)
                        .errorCode())
                .isEqualTo("certificate.serial_invalid");
        assertThat(d.call("DELETE", "/api/v1/certificates/abc", d.adminToken, null)
                        .status())
                .isEqualTo(404);

        List<StoredEvent> events =
                d.runtime.store().inTransaction(tx -> tx.events().after(0, 10_000));
        assertThat(events).extracting(StoredEvent::type).contains("cert.issued", "cert.revoked");
        assertThat(events.stream().filter(e -> e.type().equals("cert.revoked")).map(StoredEvent::body))
                .anyMatch(b -> b.contains(grandchild.path("serial").asText()) && b.contains("cascade_of"));
    }

    @Test
    void rotationSupersedesTheOldCertificateAndKeepsTheCredential() throws Exception {
        JsonNode a = d.createAgent("rotor").body();
        String id = a.path("agent_id").asText();
        String cred = a.path("credential").asText();
        X509Certificate old =
                Pem.x509(Pem.decodeCertificates(a.path("certificate").asText()).get(0));
        int keysBefore = keys();

        TestDomain.Resp byAgent = d.call("POST", "/api/v1/agents/" + id + "/rotate", cred, null);
        assertThat(byAgent.status()).as(byAgent.body().toString()).isEqualTo(200);
        assertThat(byAgent.body().has("credential")).isFalse();
        assertThat(byAgent.body().path("serial").asText())
                .isNotEqualTo(a.path("serial").asText());
        RevokedStatus st = (RevokedStatus) status(old);
        assertThat(st.getRevocationReason()).isEqualTo(4); // superseded
        // The old key is destroyed, the new one is in custody: same number of keys.
        assertThat(keys()).isEqualTo(keysBefore);
        AuthenticatedAgent now = d.runtime.agents().authenticate(cred).orElseThrow();
        assertThat(now.serial()).isEqualTo(byAgent.body().path("serial").asText());

        String oldSerial = a.path("serial").asText();
        assertThat(d.runtime.store().inTransaction((dev.writ.server.store.StoreTx tx) -> tx.events()
                        .after(0, 100_000)))
                .anyMatch(
                        e -> e.type().equals("cert.issued") && e.body().contains("\"replaces\":\"" + oldSerial + "\""));
        assertThat(d.call("POST", "/api/v1/agents/" + id + "/rotate", d.adminToken, "{\"x\":1}")
                        .errorCode())
                .isEqualTo("request.unknown_field");
        TestDomain.Resp byOperator = d.call("POST", "/api/v1/agents/" + id + "/rotate", d.adminToken, null);
        assertThat(byOperator.status()).isEqualTo(200);
        String other = d.createAgent("someone").body().path("credential").asText();
        assertThat(d.call("POST", "/api/v1/agents/" + id + "/rotate", other, null)
                        .errorCode())
                .isEqualTo("auth.not_self");
        assertThat(d.call("POST", "/api/v1/agents/nope/rotate", d.adminToken, null)
                        .errorCode())
                .isEqualTo("agent.not_found");
    }

    @Test
    void quarantineRevokesAndDisablesTheCredential() throws Exception {
        JsonNode a = d.createAgent("suspect").body();
        TestDomain.Resp q =
                d.call("POST", "/api/v1/agents/" + a.path("agent_id").asText() + "/quarantine", d.adminToken, null);
        assertThat(q.status()).isEqualTo(200);
        assertThat(d.runtime.agents().authenticate(a.path("credential").asText()))
                .isEmpty();
        JsonNode shown = d.call("GET", "/api/v1/agents/" + a.path("agent_id").asText(), d.adminToken, null)
                .body();
        assertThat(shown.path("status").asText()).isEqualTo("revoked");
        assertThat(shown.path("certificate").path("reason").asText()).isEqualTo("keyCompromise");
    }

    @Test
    void listsAndShowsCertificatesAndAnswersUnknownPathsWithJson() throws Exception {
        JsonNode a = d.createAgent("listed").body();
        TestDomain.Resp one =
                d.call("GET", "/api/v1/certificates/" + a.path("serial").asText(), d.adminToken, null);
        assertThat(one.body().path("status").asText()).isEqualTo("good");
        assertThat(one.body().path("certificate").asText()).startsWith("-----BEGIN CERTIFICATE-----");
        TestDomain.Resp list =
                d.call("GET", "/api/v1/certificates?agent=" + a.path("agent_id").asText(), d.adminToken, null);
        assertThat(list.body().path("certificates")).hasSize(1);
        TestDomain.Resp agents = d.call("GET", "/api/v1/agents?tenant=acme", d.adminToken, null);
        assertThat(agents.body().path("agents").size()).isGreaterThan(0);
        TestDomain.Resp missing = d.call("GET", "/nowhere", null, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.errorCode()).isEqualTo("request.not_found");
        assertThat(d.call("GET", "/healthz", null, null).status()).isEqualTo(200);
        assertThat(d.call("GET", "/readyz", null, null).status()).isEqualTo(200);
        assertThat(d.call("PUT", "/api/v1/agents", d.adminToken, "{}").status()).isEqualTo(405);
    }

    static CertificateStatus status(X509Certificate cert) throws Exception {
        OcspResponder ocsp = d.runtime.ocsp();
        BasicOCSPResp basic = OcspResponder.basic(ocsp.responseFor(cert));
        CertificateStatus s = basic.getResponses()[0].getCertStatus();
        return s == null ? CertificateStatus.GOOD : s;
    }
}
