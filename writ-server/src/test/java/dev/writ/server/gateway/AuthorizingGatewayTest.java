package dev.writ.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import dev.writ.server.api.TestDomain;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authorize mode end to end over real sockets: an agent sends plain requests with its credential to the gateway, the
 * gateway asks a real Writ server (a trust domain with the procurement policy active) and forwards to a real
 * upstream that records what it receives.
 */
class AuthorizingGatewayTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCOPE = "{\"actions\":[\"erp.*\",\"budget.lookup\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";
    static final String ROUTES =
            """
            routes:
              - method: POST
                path: /orders
                action: erp.purchase_order.create
                target: https://erp.example
                classification: internal
                params:
                  amount: /amount
                  currency: /currency
                  counterparty: /vendor/id
              - method: GET
                path: /budgets/{dept}
                action: budget.lookup
                target: https://erp.example
                classification: internal
                params:
                  department: {path: dept}
            """;

    @TempDir
    static Path tmp;

    static TestDomain d;
    static AuthzRuntime authz;
    static String credential;
    static String spiffeId;
    static GatewayFixture.Upstream upstream;
    static AuthorizingGateway gateway;
    static final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        d = TestDomain.start(tmp.resolve("data"));
        activateProcurement(d);
        authz = AuthzRuntime.open(d.runtime, AuthzRuntime.Options.defaults());
        authz.mountOn(d.server);
        TestDomain.Resp r = d.call(
                "POST",
                "/api/v1/agents",
                d.adminToken,
                "{\"tenant\":\"acme\",\"name\":\"buyer\",\"scope\":" + SCOPE + "}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        credential = r.body().path("credential").asText();
        spiffeId = r.body().path("spiffe_id").asText();
        upstream = new GatewayFixture.Upstream();
        gateway = AuthorizingGateway.builder()
                .upstream(URI.create(upstream.base()))
                .publicBaseUrl(URI.create("https://erp.example"))
                .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                .writServer(URI.create(d.base))
                .verifyEnvelopes(List.of(root()))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .build()
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        upstream.close();
        authz.close();
        d.close();
    }

    @BeforeEach
    void clear() {
        upstream.seen.clear();
    }

    static X509Certificate root() throws Exception {
        return Pem.x509(d.runtime.domain().root().getEncoded());
    }

    static void activateProcurement(TestDomain d) throws Exception {
        TrustDomain domain = d.runtime.domain();
        X509Certificate policyCa =
                Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
        X509Certificate signing = Pem.x509(domain.policySigning().certificate().getEncoded());
        PolicyService service = new PolicyService(
                new JdbcPolicyStore(PolicyDatabase.openSqlite(d.dir)),
                new BundleVerifier(policyCa, InstantSource.system()),
                PolicySigningIdentity.of(
                        d.runtime.custody(), domain.policySigning().key(), List.of(signing, policyCa)),
                (type, body) -> {},
                InstantSource.system());
        Map<String, byte[]> files = new HashMap<>();
        for (String f : List.of(
                "manifest.json",
                "schema.cedarschema",
                "procurement.cedar",
                "guardrails.cedar",
                "tests/procurement.json")) {
            try (InputStream in = AuthorizingGatewayTest.class.getResourceAsStream("/bundles/procurement/" + f)) {
                files.put(f, in.readAllBytes());
            }
        }
        service.activate(service.push(BundleFiles.of(files)).version());
    }

    static String order(long amount, String vendor) {
        return "{\"amount\":" + amount + ",\"currency\":\"EUR\",\"vendor\":{\"id\":\"" + vendor
                + "\",\"name\":\"Vendor\"},\"note\":\"  spacing kept  \"}";
    }

    record Resp(int status, JsonNode body, HttpResponse<String> raw) {
        String code() {
            return body.path("error").path("code").asText(null);
        }
    }

    static Resp send(URI base, String method, String path, String cred, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
        if (cred != null) b.header("Authorization", "Bearer " + cred);
        headers.forEach(b::header);
        b.header("Content-Type", "application/json");
        b.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n =
                r.body().isEmpty() || !r.body().startsWith("{") ? JSON.createObjectNode() : JSON.readTree(r.body());
        return new Resp(r.statusCode(), n, r);
    }

    static Resp send(String method, String path, String cred, String body) throws Exception {
        return send(gateway.uri(), method, path, cred, body, Map.of());
    }

    static SaeVerifier verifier() throws Exception {
        return SaeVerifier.builder()
                .trustAnchors(List.of(root()))
                .clock(InstantSource.system())
                .revocationSource(new InMemoryRevocationSource())
                .nonceStore(new InMemoryNonceStore(InstantSource.system()))
                .build();
    }

    @Test
    void allowForwardsTheExactBytesWithAnEnvelopeBoundToTheRequestAndWithoutTheCredential() throws Exception {
        String body = order(50_000, "acme-supplies");
        Resp r = send("POST", "/orders?ref=a%2Fb", credential, body);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.raw().body()).isEqualTo("upstream-ok");
        assertThat(upstream.seen).hasSize(1);
        GatewayFixture.Seen seen = upstream.seen.get(0);
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.uri()).isEqualTo("/orders?ref=a%2Fb");
        assertThat(seen.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        // The agent credential is for the Writ server only.
        assertThat(seen.header("Authorization")).isNull();
        assertThat(seen.headers().toString()).doesNotContain(credential);

        String sae = seen.header(Gateway.SAE_HEADER);
        assertThat(sae).isNotNull();
        VerifiedAction v = verifier()
                .verify(
                        sae,
                        new HttpBinding(
                                "POST",
                                "https://erp.example/orders?ref=a%2Fb",
                                HttpBinding.digestBody(body.getBytes(StandardCharsets.UTF_8))));
        assertThat(v.agentId()).isEqualTo(spiffeId);
        assertThat(v.action().name()).isEqualTo("erp.purchase_order.create");
        assertThat(v.action().amount()).contains(50_000L);
        assertThat(v.action().currency()).contains("EUR");
        assertThat(v.action().counterparty()).contains("acme-supplies");
        assertThat(v.action().target()).isEqualTo("https://erp.example");
    }

    @Test
    void anEnvelopeOrApprovalTheAgentSendsItselfNeverReachesTheUpstream() throws Exception {
        Resp r = send(
                gateway.uri(),
                "POST",
                "/orders",
                credential,
                order(40_000, "initech"),
                Map.of(Gateway.SAE_HEADER, "forged.envelope.x"));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(upstream.seen.get(0).headers().get("writ-sae")).hasSize(1);
        assertThat(upstream.seen.get(0).header(Gateway.SAE_HEADER)).isNotEqualTo("forged.envelope.x");
    }

    @Test
    void theSessionHeaderBecomesTheEnvelopesSessionAndStaysAtTheGateway() throws Exception {
        Resp r = send(
                gateway.uri(),
                "POST",
                "/orders",
                credential,
                order(20_000, "initech"),
                Map.of(Gateway.SESSION_HEADER, "s-77"));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        GatewayFixture.Seen seen = upstream.seen.get(0);
        assertThat(seen.header(Gateway.SESSION_HEADER)).isNull();
        assertThat(claims(seen.header(Gateway.SAE_HEADER))
                        .path("ctx")
                        .path("session")
                        .asText())
                .isEqualTo("s-77");
        Resp bad = send(
                gateway.uri(),
                "POST",
                "/orders",
                credential,
                order(20_000, "initech"),
                Map.of(Gateway.SESSION_HEADER, "x".repeat(129)));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(upstream.seen).hasSize(1);
    }

    static JsonNode claims(String compact) throws Exception {
        return JSON.readTree(java.util.Base64.getUrlDecoder().decode(compact.split("\\.")[1]));
    }

    @Test
    void anOversizedBodyIs413AndNothingForwarded() throws Exception {
        String big = "{\"amount\":1,\"pad\":\"" + "x".repeat(Gateway.DEFAULT_MAX_BODY) + "\"}";
        assertThat(send("POST", "/orders", credential, big).status()).isEqualTo(413);
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void anEnforcingGatewayInFrontOfTheUpstreamAcceptsTheEnvelopeExactlyOnce() throws Exception {
        // Agent -> authorize-mode gateway -> enforce-mode gateway -> upstream: the agent changes nothing, and the PEP
        // that executes checks everything, replay included.
        try (Gateway pep = Gateway.builder()
                        .upstream(URI.create(upstream.base()))
                        .publicBaseUrl(URI.create("https://erp.example"))
                        .trustAnchors(List.of(root()))
                        .nonceStore(new InMemoryNonceStore(InstantSource.system()))
                        .revocationSource(new InMemoryRevocationSource())
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .build()
                        .start();
                AuthorizingGateway front = AuthorizingGateway.builder()
                        .upstream(pep.uri())
                        .publicBaseUrl(URI.create("https://erp.example"))
                        .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                        .writServer(URI.create(d.base))
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .build()
                        .start()) {
            String body = order(30_000, "umbrella-office");
            Resp r = send(front.uri(), "POST", "/orders?x=1", credential, body, Map.of());
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            assertThat(upstream.seen).hasSize(1);
            assertThat(upstream.seen.get(0).body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
            assertThat(upstream.seen.get(0).header("Authorization")).isNull();
            // The same envelope presented again is a replay for the PEP.
            String sae = upstream.seen.get(0).header(Gateway.SAE_HEADER);
            HttpResponse<String> replay = http.send(
                    HttpRequest.newBuilder(URI.create(pep.uri() + "/orders?x=1"))
                            .header(Gateway.SAE_HEADER, sae)
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(replay.statusCode()).isEqualTo(403);
            assertThat(replay.body()).contains("sae.replay");
            assertThat(upstream.seen).hasSize(1);
        }
    }

    @Test
    void theEnvelopeDoesNotVerifyForAnotherBodyOrUrl() throws Exception {
        String body = order(60_000, "globex");
        assertThat(send("POST", "/orders", credential, body).status()).isEqualTo(200);
        String sae = upstream.seen.get(0).header(Gateway.SAE_HEADER);
        byte[] other = order(60_001, "globex").getBytes(StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> verifier()
                        .verify(
                                sae,
                                new HttpBinding("POST", "https://erp.example/orders", HttpBinding.digestBody(other))))
                .hasMessageContaining("body");
    }

    @Test
    void pathParametersBecomeActionParameters() throws Exception {
        Resp r = send("GET", "/budgets/r%26d", credential, null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        String sae = upstream.seen.get(0).header(Gateway.SAE_HEADER);
        VerifiedAction v = verifier()
                .verify(
                        sae,
                        new HttpBinding(
                                "GET", "https://erp.example/budgets/r%26d", HttpBinding.digestBody(new byte[0])));
        assertThat(v.action().name()).isEqualTo("budget.lookup");
        assertThat(v.action().params().path("department").asText()).isEqualTo("r&d");
    }

    @Test
    void denialIs403WithTheCoarseCodeAndNothingForwarded() throws Exception {
        Resp r = send("POST", "/orders", credential, order(50_000, "evil-corp"));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.code()).isEqualTo("denied.policy");
        assertThat(r.body().path("error").path("message").asText()).isEqualTo("not permitted");
        assertThat(r.raw().body()).doesNotContain("unlisted-counterparty");
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void noRouteIs403AndNothingForwarded() throws Exception {
        assertThat(send("POST", "/admin", credential, "{}").code()).isEqualTo("gateway.no_route");
        assertThat(send("DELETE", "/orders", credential, null).code()).isEqualTo("gateway.no_route");
        assertThat(send("GET", "/budgets/../orders", credential, null).status()).isIn(400, 403);
        // An encoded slash would let one segment stand for two (Jetty itself refuses it as ambiguous: 400).
        assertThat(send("GET", "/budgets/a%2Fb", credential, null).status()).isIn(400, 403);
        assertThat(send("GET", "/budgets/a/b", credential, null).code()).isEqualTo("gateway.no_route");
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void pendingIs202WithTheApprovalIdAndARetryWithTheApprovedIdGoesThrough() throws Exception {
        String body = order(2_000_000, "globex");
        Resp p = send("POST", "/orders", credential, body);
        assertThat(p.status()).as(p.raw().body()).isEqualTo(202);
        String id = p.body().path("approval_id").asText();
        assertThat(id).startsWith("apr_");
        assertThat(p.raw().headers().firstValue(Gateway.APPROVAL_HEADER)).contains(id);
        assertThat(upstream.seen).isEmpty();

        // Not yet approved: still pending, still nothing forwarded.
        Resp again = send(gateway.uri(), "POST", "/orders", credential, body, Map.of(Gateway.APPROVAL_HEADER, id));
        assertThat(again.status()).isEqualTo(202);
        assertThat(upstream.seen).isEmpty();

        String approver = operatorToken("approver");
        TestDomain.Resp ok = d.call("POST", "/api/v1/approvals/" + id + "/approve", approver, "{}");
        assertThat(ok.status()).as(ok.body().toString()).isEqualTo(200);

        Resp done = send(gateway.uri(), "POST", "/orders", credential, body, Map.of(Gateway.APPROVAL_HEADER, id));
        assertThat(done.status()).as(done.raw().body()).isEqualTo(200);
        assertThat(upstream.seen).hasSize(1);
        assertThat(upstream.seen.get(0).header(Gateway.APPROVAL_HEADER)).isNull();
        VerifiedAction v = verifier()
                .verify(
                        upstream.seen.get(0).header(Gateway.SAE_HEADER),
                        new HttpBinding(
                                "POST",
                                "https://erp.example/orders",
                                HttpBinding.digestBody(body.getBytes(StandardCharsets.UTF_8))));
        assertThat(v.claims().path("ctx").has("approval")).isTrue();
    }

    static String operatorToken(String role) throws Exception {
        String token = dev.writ.server.ca.Tokens.newOperatorToken(new SecureRandom());
        d.runtime.store().inTransaction(tx -> {
            tx.operatorTokens()
                    .insert(
                            dev.writ.server.ca.Tokens.newId(new SecureRandom()),
                            dev.writ.server.ca.Tokens.hash(token),
                            role,
                            role + "-test",
                            java.time.Instant.now());
            return null;
        });
        return token;
    }

    @Test
    void missingOrWrongCredentialIs401AndNothingForwarded() throws Exception {
        Resp none = send("POST", "/orders", null, order(50_000, "globex"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.code()).isEqualTo("auth.missing");
        Resp wrong = send("POST", "/orders", "writ_agent_notarealcredential", order(50_000, "globex"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.code()).startsWith("auth.");
        Resp operator = send("POST", "/orders", d.adminToken, order(50_000, "globex"));
        assertThat(operator.status()).isIn(401, 403);
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void unusableBodiesAreRefusedBeforeAskingTheServer() throws Exception {
        assertThat(send("POST", "/orders", credential, "not json").code()).isEqualTo("gateway.body_invalid");
        // A repeated key could be read one way here and another way upstream.
        assertThat(send("POST", "/orders", credential, "{\"amount\":1,\"amount\":9000000,\"currency\":\"EUR\"}")
                        .code())
                .isEqualTo("gateway.body_invalid");
        assertThat(send("POST", "/orders", credential, "{\"amount\":1,\"currency\":\"EUR\"}")
                        .code())
                .isEqualTo("gateway.param_missing");
        assertThat(send(
                                "POST",
                                "/orders",
                                credential,
                                "{\"amount\":1.5,\"currency\":\"EUR\",\"vendor\":{\"id\":\"globex\"}}")
                        .code())
                .isEqualTo("gateway.param_invalid");
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void serverDownIs503AndNothingForwarded() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (AuthorizingGateway down = AuthorizingGateway.builder()
                .upstream(URI.create(upstream.base()))
                .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                .writServer(URI.create("http://127.0.0.1:" + dead))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .build()
                .start()) {
            Resp r = send(down.uri(), "POST", "/orders", credential, order(50_000, "globex"), Map.of());
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.code()).isEqualTo("gateway.authorize_unavailable");
        }
        assertThat(upstream.seen).isEmpty();
    }

    /** A stand-in Writ server that fails: 500 with an error body, a garbled 200, or no answer in time. */
    static org.eclipse.jetty.server.Server failingServer(int status, String body, long delayMs) throws Exception {
        org.eclipse.jetty.server.Server s = new org.eclipse.jetty.server.Server();
        org.eclipse.jetty.server.ServerConnector c = new org.eclipse.jetty.server.ServerConnector(s);
        c.setHost("127.0.0.1");
        s.addConnector(c);
        s.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
            @Override
            public boolean handle(
                    org.eclipse.jetty.server.Request request,
                    org.eclipse.jetty.server.Response response,
                    org.eclipse.jetty.util.Callback callback)
                    throws Exception {
                Thread.sleep(delayMs);
                response.setStatus(status);
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        s.start();
        return s;
    }

    @Test
    void serverErrorsGarbledAnswersAndTimeoutsAre503AndNothingForwarded() throws Exception {
        record Case(int status, String body, long delayMs) {}
        for (Case k : List.of(
                new Case(500, "{\"error\":{\"code\":\"authorize.unavailable\",\"message\":\"x\"}}", 0),
                new Case(200, "{\"decision\":\"allow\",\"sae\":\"not.an.envelope\"}", 0),
                new Case(200, "<html>", 0),
                new Case(403, "{\"decision\":\"maybe\"}", 0),
                new Case(200, "{}", 2_000))) {
            org.eclipse.jetty.server.Server fake = failingServer(k.status(), k.body(), k.delayMs());
            try (AuthorizingGateway gw = AuthorizingGateway.builder()
                    .upstream(URI.create(upstream.base()))
                    .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                    .writServer(fake.getURI())
                    .authorizeTimeout(Duration.ofMillis(300))
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .build()
                    .start()) {
                Resp r = send(gw.uri(), "POST", "/orders", credential, order(50_000, "globex"), Map.of());
                assertThat(r.status()).as(k.toString()).isEqualTo(503);
                assertThat(r.code()).isEqualTo("gateway.authorize_unavailable");
            } finally {
                fake.stop();
            }
        }
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void anEnvelopeFromAnotherTrustDomainIsNotForwarded() throws Exception {
        // Defence in depth: with anchors configured, the gateway refuses envelopes that do not chain to them.
        dev.writ.core.sae.TestPki other = new dev.writ.core.sae.TestPki(java.time.Instant.now());
        try (AuthorizingGateway strict = AuthorizingGateway.builder()
                .upstream(URI.create(upstream.base()))
                .publicBaseUrl(URI.create("https://erp.example"))
                .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                .writServer(URI.create(d.base))
                .verifyEnvelopes(List.of(other.root.certificate()))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .build()
                .start()) {
            Resp r = send(strict.uri(), "POST", "/orders", credential, order(50_000, "globex"), Map.of());
            assertThat(r.status()).isEqualTo(503);
        }
        assertThat(upstream.seen).isEmpty();
    }
}
