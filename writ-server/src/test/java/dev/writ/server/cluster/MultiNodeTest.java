package dev.writ.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.server.demo.ProcurementPolicy;
import dev.writ.server.redis.RedisServer;
import dev.writ.server.store.postgres.PostgresFixture;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two {@code writ serve} processes and two enforcing {@code writ gateway} processes on one PostgreSQL and one Redis,
 * all real servers: one trust domain served by either node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiNodeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ORDER_BODY = "{\"item\":\"toner\",\"quantity\":3}";
    static final String PUBLIC_URL = "https://erp.example";

    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Path tmp;
    RedisServer redis;
    HttpServer upstream;
    WritProcess nodeA;
    WritProcess nodeB;
    WritProcess gatewayA;
    WritProcess gatewayB;
    String admin;
    String credential;
    String serial;

    @BeforeAll
    void startCluster() throws Exception {
        tmp = Files.createTempDirectory("writ-multinode");
        PostgresFixture.Database db = PostgresFixture.newDatabase();
        redis = RedisServer.start();
        String dbUri = "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.name();
        Path password = tmp.resolve("db-password");
        Files.writeString(password, db.password());
        Path pass = tmp.resolve("root-pass");
        Files.writeString(pass, "a long root passphrase\n");
        Path dataA = tmp.resolve("node-a");
        Path dataB = tmp.resolve("node-b");

        Cli.Run init = Cli.writ(
                "init",
                "--data",
                dataA.toString(),
                "--db",
                dbUri,
                "--db-password-file",
                password.toString(),
                "--root-passphrase-file",
                pass.toString(),
                "--json");
        assertThat(init.exit()).as(init.err()).isZero();
        admin = JSON.readTree(init.out()).path("admin_token").asText();
        // The database holds the domain: the data directory of node A is not needed by any node from here on.
        // Node B gets nothing but the custody master key, handed over out of band.
        Files.createDirectories(dataB);
        Files.copy(dataA.resolve("master.key"), dataB.resolve("master.key"));

        Map<String, String> env = Map.of("WRIT_DB_PASSWORD", db.password(), "WRIT_REDIS", redis.uri());
        var startA = java.util.concurrent.CompletableFuture.supplyAsync(() -> serve(env, dbUri, dataA));
        var startB = java.util.concurrent.CompletableFuture.supplyAsync(() -> serve(env, dbUri, dataB));
        nodeA = startA.get(90, TimeUnit.SECONDS);
        nodeB = startB.get(90, TimeUnit.SECONDS);

        // The policy control plane of node A publishes; node B picks the version up from the shared database.
        assertThat(call("POST", nodeA.url() + "/api/v1/policies", admin, procurementBundle())
                        .statusCode())
                .isEqualTo(201);
        assertThat(call("POST", nodeA.url() + "/api/v1/policies/1/activate", admin, "{}")
                        .statusCode())
                .isEqualTo(200);

        JsonNode agent = json(call(
                "POST",
                nodeA.url() + "/api/v1/agents",
                admin,
                "{\"tenant\":\"default\",\"name\":\"analyst\",\"scope\":{\"actions\":[\"procurement.*\"],"
                        + "\"limits\":{},\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\","
                        + "\"classification\":\"internal\",\"delegation\":0}}"));
        credential = agent.path("credential").asText();
        serial = agent.path("serial").asText();
        assertThat(credential).isNotEmpty();
        // Node B loads the activated version on its next policy refresh (every 5 s).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (authorize(nodeB).statusCode() != 200) {
            assertThat(System.nanoTime())
                    .as("node B never loaded the active policy")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }

        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] ok = "{\"ordered\":true}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        upstream.start();
        Path bundle = tmp.resolve("trust-bundle.pem");
        Files.writeString(
                bundle,
                call("GET", nodeA.url() + "/trust-bundle.pem", null, null).body());
        var gwA = java.util.concurrent.CompletableFuture.supplyAsync(() -> gateway(env, bundle, nodeA));
        var gwB = java.util.concurrent.CompletableFuture.supplyAsync(() -> gateway(env, bundle, nodeB));
        gatewayA = gwA.get(90, TimeUnit.SECONDS);
        gatewayB = gwB.get(90, TimeUnit.SECONDS);
    }

    private WritProcess serve(Map<String, String> env, String dbUri, Path data) {
        try {
            return WritProcess.start(env, "serve", "--data", data.toString(), "--db", dbUri, "--port", "0");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private WritProcess gateway(Map<String, String> env, Path bundle, WritProcess node) {
        try {
            return WritProcess.start(
                    env,
                    "gateway",
                    "--upstream",
                    "http://127.0.0.1:" + upstream.getAddress().getPort(),
                    "--public-url",
                    PUBLIC_URL,
                    "--listen",
                    "127.0.0.1:0",
                    "--trust-bundle",
                    bundle.toString(),
                    "--revocations",
                    node.url(),
                    "--trust-domain",
                    "writ.local");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    void stopCluster() throws Exception {
        for (WritProcess p : new WritProcess[] {gatewayA, gatewayB, nodeA, nodeB}) {
            if (p != null) {
                p.close();
            }
        }
        if (upstream != null) {
            upstream.stop(0);
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    @Order(1)
    void readinessNamesEveryBackendOnBothNodes() throws Exception {
        for (WritProcess node : List.of(nodeA, nodeB)) {
            HttpResponse<String> r = call("GET", node.url() + "/readyz", null, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode checks = JSON.readTree(r.body()).path("checks");
            assertThat(checks.path("postgresql").asText()).isEqualTo("ok");
            assertThat(checks.path("redis").asText()).isEqualTo("ok");
            assertThat(checks.path("log").asText()).isEqualTo("ok");
        }
    }

    @Test
    @Order(2)
    void anAgentRegisteredOnNodeAIsSignedForOnNodeBAndAReplayThroughTheOtherGatewayIsRefused() throws Exception {
        // Node B signs with a key generated on node A: custody is shared through the database.
        JsonNode onB = json(authorize(nodeB));
        String sae = onB.path("sae").asText();
        assertThat(send(gatewayB, sae).statusCode()).isEqualTo(200);

        JsonNode onA = json(authorize(nodeA));
        String fromA = onA.path("sae").asText();
        HttpResponse<String> first = send(gatewayA, fromA);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        HttpResponse<String> replay = send(gatewayB, fromA);
        assertThat(replay.statusCode()).isEqualTo(403);
        assertThat(replay.body()).contains("replay");
    }

    @Test
    @Order(3)
    void concurrentAuthorizationsOnBothNodesEndInOneLogConsistentWithEveryCheckpoint() throws Exception {
        NoteVerifier verifier = NoteVerifier.parse(
                call("GET", nodeA.url() + "/log/key", null, null).body().strip());
        assertThat(call("GET", nodeB.url() + "/log/key", null, null).body())
                .isEqualTo(call("GET", nodeA.url() + "/log/key", null, null).body());
        List<byte[]> checkpoints = Collections.synchronizedList(new ArrayList<>());
        List<String> jtis = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger denials = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<java.util.concurrent.Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            WritProcess node = t % 2 == 0 ? nodeA : nodeB;
            work.add(pool.submit(() -> {
                for (int i = 0; i < 15; i++) {
                    HttpResponse<String> r = authorize(node);
                    if (overloaded(r)) {
                        denials.incrementAndGet();
                        continue;
                    }
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    JsonNode b = json(r);
                    jtis.add(b.path("jti").asText());
                    LogReceipt receipt = LogReceipt.fromJson(b.path("receipt"));
                    checkpoints.add(receipt.checkpoint());
                }
                return null;
            }));
        }
        for (var f : work) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(jtis.size()).as("%d fail-closed denials", denials.get()).isGreaterThanOrEqualTo(60);
        checkpoints.add(
                call("GET", nodeA.url() + "/log/checkpoint", null, null).body().getBytes(StandardCharsets.UTF_8));
        checkpoints.add(
                call("GET", nodeB.url() + "/log/checkpoint", null, null).body().getBytes(StandardCharsets.UTF_8));

        // Every checkpoint either node handed out is signed by the one log key...
        List<Checkpoint> verified = new ArrayList<>();
        for (byte[] note : checkpoints) {
            verified.add(Checkpoint.verify(note, verifier).checkpoint());
        }
        verified.sort(java.util.Comparator.comparingLong(Checkpoint::size));
        Checkpoint latest = verified.get(verified.size() - 1);
        // ...and each is a prefix of the latest (one tree, never a fork), proven by a consistency proof from either
        // node.
        for (int i = 0; i < verified.size(); i++) {
            Checkpoint c = verified.get(i);
            WritProcess node = i % 2 == 0 ? nodeA : nodeB;
            if (c.size() == latest.size()) {
                assertThat(c.rootHash()).isEqualTo(latest.rootHash());
                continue;
            }
            JsonNode proof = json(call(
                    "GET",
                    node.url() + "/v1/log/proof/consistency?from=" + c.size() + "&to=" + latest.size(),
                    null,
                    null));
            List<byte[]> hashes = new ArrayList<>();
            proof.path("proof").forEach(h -> hashes.add(Base64.getDecoder().decode(h.asText())));
            Merkle.verifyConsistency(c.size(), latest.size(), hashes, c.rootHash(), latest.rootHash());
        }
        // Every acknowledged envelope is in the one log, found from either node.
        for (int i = 0; i < jtis.size(); i++) {
            WritProcess node = i % 2 == 0 ? nodeB : nodeA;
            assertThat(call("GET", node.url() + "/v1/log/proof/inclusion?jti=" + jtis.get(i), null, null)
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    @Order(4)
    void aRevocationOnNodeBReachesTheGatewayOfNodeAWithinOneSecond() throws Exception {
        String sae = json(authorize(nodeA)).path("sae").asText();
        BigInteger before = crlNumber(crl(nodeA)).max(crlNumber(crl(nodeB)));
        HttpResponse<String> revoked =
                call("DELETE", nodeB.url() + "/api/v1/certificates/" + serial + "?reason=keyCompromise", admin, null);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(1000);
        while (true) {
            // Revocation is checked before the nonce: once the revocation arrived, the refusal names it even if an
            // earlier probe (before it arrived) was accepted and recorded the nonce.
            HttpResponse<String> r = send(gatewayA, sae);
            if (r.statusCode() == 403 && r.body().contains("revoked")) {
                break;
            }
            assertThat(System.nanoTime())
                    .as("node A's gateway still accepts after 1 s")
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        // Node A refuses the revoked agent too (its state is the shared database).
        assertThat(authorize(nodeA).statusCode()).isIn(401, 403);
        // Both nodes re-signed their CRLs with the revocation, each under a number from the one shared counter: new,
        // distinct, and above every number handed out before.
        BigInteger id = new BigInteger(serial, 16);
        X509CRLHolder onB = crl(nodeB);
        X509CRLHolder onA = crl(nodeA);
        long crlDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (onA.getRevokedCertificate(id) == null && System.nanoTime() < crlDeadline) {
            Thread.sleep(50);
            onA = crl(nodeA);
        }
        assertThat(onA.getRevokedCertificate(id)).isNotNull();
        assertThat(onB.getRevokedCertificate(id)).isNotNull();
        assertThat(crlNumber(onA)).isGreaterThan(before).isNotEqualTo(crlNumber(onB));
        assertThat(crlNumber(onB)).isGreaterThan(before);
    }

    @Test
    @Order(5)
    void killingOneNodeMidLoadLosesNothingAcknowledgedAndTheOtherKeepsServing() throws Exception {
        JsonNode agent = json(call(
                "POST",
                nodeB.url() + "/api/v1/agents",
                admin,
                "{\"tenant\":\"default\",\"name\":\"loader\",\"scope\":{\"actions\":[\"procurement.*\"],"
                        + "\"limits\":{},\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\","
                        + "\"classification\":\"internal\",\"delegation\":0}}"));
        credential = agent.path("credential").asText();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger servedByAAfterKill = new AtomicInteger();
        AtomicInteger failedOnA = new AtomicInteger();
        CountDownLatch warm = new CountDownLatch(40);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        for (int t = 0; t < 6; t++) {
            WritProcess node = t % 2 == 0 ? nodeA : nodeB;
            pool.submit(() -> {
                while (!stop.get()) {
                    boolean afterKill = killed.get();
                    try {
                        HttpResponse<String> r = authorize(node);
                        if (r.statusCode() == 200) {
                            acknowledged.put(json(r).path("jti").asText(), node == nodeA ? "A" : "B");
                            warm.countDown();
                            if (node == nodeA && afterKill) {
                                servedByAAfterKill.incrementAndGet();
                            }
                        } else if (node == nodeA && !overloaded(r)) {
                            failedOnA.incrementAndGet();
                        }
                    } catch (Exception e) {
                        if (node == nodeA) {
                            failedOnA.incrementAndGet();
                        }
                    }
                }
                return null;
            });
        }
        assertThat(warm.await(30, TimeUnit.SECONDS)).isTrue();
        nodeB.kill();
        killed.set(true);
        Thread.sleep(1500);
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        assertThat(failedOnA.get()).isZero();
        assertThat(servedByAAfterKill.get()).isPositive();
        assertThat(acknowledged.values()).contains("A", "B");
        // Everything either node acknowledged, including node B's last answers before it died, is in the log.
        for (String jti : acknowledged.keySet()) {
            HttpResponse<String> r = call("GET", nodeA.url() + "/v1/log/proof/inclusion?jti=" + jti, null, null);
            assertThat(r.statusCode())
                    .as("jti %s from node %s", jti, acknowledged.get(jti))
                    .isEqualTo(200);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    HttpResponse<String> authorize(WritProcess node) throws Exception {
        return call("POST", node.url() + "/v1/authorize", credential, authorizeBody(ORDER_BODY));
    }

    /**
     * A signed denial with the coarse system code: the decision point timed out (100 ms) on this overloaded test
     * machine and failed closed. A correct answer, logged like any other decision, but not an allow.
     */
    static boolean overloaded(HttpResponse<String> r) throws Exception {
        return r.statusCode() == 403
                && "denied".equals(JSON.readTree(r.body()).path("code").asText());
    }

    static String authorizeBody(String orderBody) throws Exception {
        ObjectNode b = JSON.createObjectNode();
        ObjectNode action = b.putObject("action");
        action.put("name", "procurement.request.analyse");
        action.put("classification", "internal");
        ObjectNode h = action.putObject("http");
        h.put("method", "POST");
        h.put("url", PUBLIC_URL + "/orders");
        h.put(
                "body",
                "sha256:"
                        + Base64.getUrlEncoder()
                                .withoutPadding()
                                .encodeToString(MessageDigest.getInstance("SHA-256")
                                        .digest(orderBody.getBytes(StandardCharsets.UTF_8))));
        b.put("target", "procurement");
        return b.toString();
    }

    X509CRLHolder crl(WritProcess node) throws Exception {
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(node.url() + "/crl/agents.crl"))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return new X509CRLHolder(r.body());
    }

    static BigInteger crlNumber(X509CRLHolder crl) {
        return CRLNumber.getInstance(crl.getExtension(Extension.cRLNumber).getParsedValue())
                .getCRLNumber();
    }

    HttpResponse<String> send(WritProcess gateway, String sae) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(gateway.url() + "/orders"))
                        .header("Writ-SAE", sae)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(ORDER_BODY))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> call(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode())
                .as(r.body().substring(0, Math.min(300, r.body().length())))
                .isBetween(200, 299);
        return JSON.readTree(r.body());
    }

    static String procurementBundle() throws Exception {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode files = body.putObject("files");
        for (String name : ProcurementPolicy.FILES) {
            try (var in = ProcurementPolicy.class.getResourceAsStream("/bundles/procurement/" + name)) {
                files.put(name, Base64.getEncoder().encodeToString(in.readAllBytes()));
            }
        }
        return body.toString();
    }
}
