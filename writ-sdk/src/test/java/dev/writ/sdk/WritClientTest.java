package dev.writ.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.TestEnvelope;
import dev.writ.core.sae.TestPki;
import dev.writ.core.sae.VerifiedAction;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK against a real HTTP server speaking the authorize wire contract, with real envelopes from an independent
 * test PKI and real log receipts.
 */
class WritClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CREDENTIAL = "wac_test-credential-1";
    private static final byte[] BODY = "{\"amount\":12500,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);
    private static final String URL = "https://api.bank.test/v1/transfers";

    final Instant now = Instant.now();
    final TestPki pki = new TestPki(now);
    final TestPki.Issued agent = pki.agent().issue();
    final Ed25519PrivateKeyParameters logPrivate = new Ed25519PrivateKeyParameters(new SecureRandom());
    final NoteVerifier logKey = NoteVerifier.ofEd25519(
            "log.writ.test", logPrivate.generatePublicKey().getEncoded());

    HttpServer server;
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final Map<String, String> approvals = new ConcurrentHashMap<>();
    final AtomicInteger polls = new AtomicInteger();
    volatile boolean tamperReceipt;
    volatile boolean bindOtherUrl;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/authorize", this::authorize);
        server.createContext("/v1/approvals/", this::approval);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    WritClient.Builder client() {
        return WritClient.builder()
                .server(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .credential(CREDENTIAL)
                .pollInterval(Duration.ofMillis(20))
                .requestTimeout(Duration.ofSeconds(2));
    }

    static ActionRequest transfer(long amount) {
        ObjectNode params = JSON.createObjectNode();
        params.put("amount", amount);
        params.put("currency", "EUR");
        params.put("counterparty", "vendor-y");
        params.put("region", "eu-west-1");
        return new ActionRequest(
                "payments.transfer",
                URL,
                params,
                Classification.INTERNAL,
                new HttpBinding("POST", URL, HttpBinding.digestBody(BODY)));
    }

    static ActionRequest named(String name) {
        return new ActionRequest(name, URL, JSON.createObjectNode(), Classification.PUBLIC, null);
    }

    // ---- the server side of the wire contract ------------------------------------------------------------------

    void authorize(HttpExchange ex) throws IOException {
        if (!("Bearer " + CREDENTIAL).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            reply(ex, 401, "{\"error\":{\"code\":\"auth.credential\",\"message\":\"unknown credential\"}}");
            return;
        }
        JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
        received.add(req);
        JsonNode action = req.path("action");
        switch (action.path("name").asText()) {
            case "admin.delete" ->
                reply(ex, 403, "{\"decision\":\"deny\",\"code\":\"denied.policy\",\"denial\":\"e30.e30.c2ln\"}");
            case "server.broken" ->
                reply(ex, 500, "{\"error\":{\"code\":\"internal\",\"message\":\"something broke\"}}");
            case "server.lies" -> reply(ex, 200, "{\"decision\":\"deny\"}");
            default -> {
                long amount = action.path("params").path("amount").asLong();
                String approval = req.path("approval_id").asText(null);
                if (amount >= 10_000_00 && (approval == null || !"approved".equals(approvals.get(approval)))) {
                    approvals.putIfAbsent("ap-1", "pending");
                    reply(
                            ex,
                            202,
                            "{\"decision\":\"pending\",\"approval_id\":\"ap-1\",\"expires_at\":"
                                    + now.plusSeconds(600).getEpochSecond() + "}");
                    return;
                }
                reply(ex, 200, allow(action, req.path("target").asText()));
            }
        }
    }

    String allow(JsonNode action, String target) {
        TestEnvelope e = TestEnvelope.standard(pki, agent, now, pki.ocspGood(agent, now));
        e.claims.put("sub", target);
        ObjectNode act = (ObjectNode) e.claims.get("act");
        act.set("params", action.path("params"));
        act.set("http", action.path("http"));
        if (bindOtherUrl) {
            ((ObjectNode) act.get("http")).put("url", URL + "/other");
        }
        String sae = e.sign(agent.privateKey());
        byte[] entry = WritClient.defaultLogEntry(tamperReceipt ? sae + "x" : sae);
        ObjectNode resp = JSON.createObjectNode();
        resp.put("decision", "allow");
        resp.put("sae", sae);
        resp.put("jti", e.claims.get("jti").asText());
        resp.put("expires_at", e.claims.get("exp").asLong());
        ObjectNode receipt = resp.putObject("receipt");
        receipt.put("index", 0);
        receipt.putArray("proof");
        receipt.put("checkpoint", signedCheckpoint(Merkle.leafHash(entry)));
        return resp.toString();
    }

    /** A one-leaf tree's checkpoint as a C2SP signed note. */
    String signedCheckpoint(byte[] root) {
        String text = "log.writ.test\n1\n" + Base64.getEncoder().encodeToString(root) + "\n";
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, logPrivate);
        byte[] msg = text.getBytes(StandardCharsets.UTF_8);
        signer.update(msg, 0, msg.length);
        byte[] sig = signer.generateSignature();
        byte[] keyAndSig = ByteBuffer.allocate(4 + sig.length)
                .putInt(logKey.keyHash())
                .put(sig)
                .array();
        return text + "\n\u2014 log.writ.test " + Base64.getEncoder().encodeToString(keyAndSig) + "\n";
    }

    void approval(HttpExchange ex) throws IOException {
        if (!("Bearer " + CREDENTIAL).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            reply(ex, 401, "{\"error\":{\"code\":\"auth.credential\",\"message\":\"unknown credential\"}}");
            return;
        }
        String id = ex.getRequestURI().getPath().substring("/v1/approvals/".length());
        String status = approvals.get(id);
        if (status == null) {
            reply(ex, 404, "{\"error\":{\"code\":\"approval.not_found\",\"message\":\"no such approval\"}}");
            return;
        }
        // The approver decides on the third poll.
        if (status.equals("pending") && polls.incrementAndGet() >= 3 && approvals.containsKey("decide:" + id)) {
            status = approvals.get("decide:" + id);
            approvals.put(id, status);
        }
        reply(
                ex,
                200,
                "{\"id\":\"" + id + "\",\"status\":\"" + status + "\",\"expires_at\":"
                        + now.plusSeconds(600).getEpochSecond() + "}");
    }

    static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    // ---- tests ---------------------------------------------------------------------------------------------------

    @Test
    void anAllowCarriesAnEnvelopeThatAPepAccepts() throws Exception {
        WritClient writ = client().logKey(logKey).build();
        AuthorizeOptions options = AuthorizeOptions.defaults()
                .withSession("s-42")
                .withParentChain(List.of("sha256:" + "0f".repeat(32)))
                .withRisk(7);
        AuthorizeResult r = writ.authorize(transfer(12500), options);
        assertThat(r).isInstanceOf(AuthorizeResult.Allowed.class);
        AuthorizeResult.Allowed allowed = (AuthorizeResult.Allowed) r;
        assertThat(allowed.envelope().logReceipt()).isPresent();

        // The wire format the server received.
        JsonNode sent = received.get(0);
        assertThat(sent.path("action").path("name").asText()).isEqualTo("payments.transfer");
        assertThat(sent.path("action").path("classification").asText()).isEqualTo("internal");
        assertThat(sent.path("action").path("http").path("body").asText()).isEqualTo(HttpBinding.digestBody(BODY));
        assertThat(sent.path("target").asText()).isEqualTo(URL);
        assertThat(sent.path("context").path("session").asText()).isEqualTo("s-42");
        assertThat(sent.path("context").path("parent_chain").get(0).asText()).isEqualTo("sha256:" + "0f".repeat(32));
        assertThat(sent.path("context").path("risk").asInt()).isEqualTo(7);
        assertThat(sent.has("approval_id")).isFalse();

        // A PEP verifies the envelope against the exact request.
        SaeVerifier pep = SaeVerifier.builder()
                .trustAnchors(List.of(pki.root.certificate()))
                .clock(InstantSource.system())
                .revocationSource(new InMemoryRevocationSource())
                .nonceStore(new InMemoryNonceStore(InstantSource.system()))
                .build();
        VerifiedAction v = pep.verify(allowed.sae(), new HttpBinding("POST", URL, HttpBinding.digestBody(BODY)));
        assertThat(v.jti()).isEqualTo(allowed.jti());
        assertThat(allowed.envelope().toString()).doesNotContain(allowed.sae());
    }

    @Test
    void aReceiptThatDoesNotVerifyFailsClosed() {
        tamperReceipt = true;
        WritClient writ = client().logKey(logKey).build();
        assertThatThrownBy(() -> writ.authorize(transfer(12500), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(
                        WritClientException.class, e -> assertThat(e.code()).isEqualTo("sdk.receipt"));
    }

    @Test
    void anEnvelopeForAnotherRequestIsRefused() {
        bindOtherUrl = true;
        WritClient writ = client().build();
        assertThatThrownBy(() -> writ.authorize(transfer(12500), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(
                        WritClientException.class, e -> assertThat(e.code()).isEqualTo("sdk.protocol"));
    }

    @Test
    void aDenialIsADenial() throws Exception {
        AuthorizeResult r = client().build().authorize(named("admin.delete"), AuthorizeOptions.defaults());
        assertThat(r).isEqualTo(new AuthorizeResult.Denied("denied.policy", "e30.e30.c2ln"));
    }

    @Test
    void errorsFailClosed() {
        WritClient writ = client().build();
        assertThatThrownBy(() -> writ.authorize(named("server.broken"), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(WritClientException.class, e -> {
                    assertThat(e.code()).isEqualTo("internal");
                    assertThat(e.status()).isEqualTo(500);
                });
        assertThatThrownBy(() -> writ.authorize(named("server.lies"), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(
                        WritClientException.class, e -> assertThat(e.code()).isEqualTo("sdk.protocol"));
        WritClient wrongCredential = client().credential("wac_wrong").build();
        assertThatThrownBy(() -> wrongCredential.authorize(transfer(100), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(WritClientException.class, e -> {
                    assertThat(e.code()).isEqualTo("auth.credential");
                    assertThat(e.getMessage()).doesNotContain("wac_");
                });
        server.stop(0);
        assertThatThrownBy(() -> writ.authorize(transfer(100), AuthorizeOptions.defaults()))
                .isInstanceOfSatisfying(
                        WritClientException.class, e -> assertThat(e.code()).isIn("sdk.unavailable", "sdk.timeout"));
    }

    @Test
    void pendingThenApproved() throws Exception {
        WritClient writ = client().build();
        AuthorizeResult r = writ.authorize(transfer(2_000_000), AuthorizeOptions.defaults());
        assertThat(r).isInstanceOf(AuthorizeResult.Pending.class);
        String id = ((AuthorizeResult.Pending) r).approvalId();
        assertThat(writ.approvalStatus(id).state()).isEqualTo(ApprovalStatus.State.PENDING);
        approvals.put("decide:" + id, "approved");
        ApprovalStatus s = writ.awaitApproval(id, Duration.ofSeconds(5));
        assertThat(s.state()).isEqualTo(ApprovalStatus.State.APPROVED);
        AuthorizeResult again =
                writ.authorize(transfer(2_000_000), AuthorizeOptions.defaults().withApproval(id));
        assertThat(again).isInstanceOf(AuthorizeResult.Allowed.class);
        assertThat(received.get(received.size() - 1).path("approval_id").asText())
                .isEqualTo(id);
    }

    @Test
    void toolGuardRunsTheToolOnlyOnAllow() throws Exception {
        ToolGuard guard = ToolGuard.builder(client().build()).build();
        AtomicInteger runs = new AtomicInteger();
        String out = guard.call(transfer(12500), env -> {
            runs.incrementAndGet();
            assertThat(env.compact()).contains(".");
            return "done";
        });
        assertThat(out).isEqualTo("done");
        assertThatThrownBy(() -> guard.call(named("admin.delete"), env -> runs.incrementAndGet()))
                .isInstanceOfSatisfying(ToolNotPermittedException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("not permitted");
                    assertThat(e.code()).isEqualTo("denied.policy");
                });
        assertThatThrownBy(() -> guard.call(transfer(2_000_000), env -> runs.incrementAndGet()))
                .isInstanceOfSatisfying(ApprovalPendingException.class, e -> assertThat(e.approvalId())
                        .isEqualTo("ap-1"));
        assertThatThrownBy(() -> guard.call(named("server.broken"), env -> runs.incrementAndGet()))
                .isInstanceOf(WritClientException.class);
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void toolGuardWaitsForApproval() throws Exception {
        approvals.put("decide:ap-1", "approved");
        ToolGuard guard = ToolGuard.builder(client().build())
                .approvalWait(Duration.ofSeconds(5))
                .build();
        String paid = guard.call(transfer(2_000_000), env -> "paid");
        assertThat(paid).isEqualTo("paid");
    }

    @Test
    void toolGuardTurnsARefusedApprovalIntoNotPermitted() {
        approvals.put("decide:ap-1", "denied");
        ToolGuard guard = ToolGuard.builder(client().build())
                .approvalWait(Duration.ofSeconds(5))
                .build();
        assertThatThrownBy(() -> guard.call(transfer(2_000_000), env -> "paid"))
                .isInstanceOfSatisfying(ToolNotPermittedException.class, e -> assertThat(e.code())
                        .isEqualTo("approval.denied"));
    }
}
