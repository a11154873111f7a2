package dev.writ.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.api.WritServer;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.gateway.AuthorizingGateway;
import dev.writ.server.gateway.RouteMap;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.store.SqliteStore;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Latency of the gateway in authorize mode at a fixed offered rate: the same purchase-order POST is sent straight to
 * an upstream, then through an {@link AuthorizingGateway} in front of it, which maps it with a route map, calls a real
 * Writ server in the same process ({@code POST /v1/authorize} over loopback: scope, Cedar, OCSP staple, SAE signed in
 * software custody, durable log append) and forwards with the envelope (verified again at the gateway). Latency is
 * measured from each request's scheduled start (no coordinated omission).
 *
 * <p>Usage: {@code AuthorizeModeLoadSketch [rate=200] [seconds=5] [verify|noverify]} (whether the gateway verifies
 * each envelope before forwarding it; default verify). A throwaway trust domain is created in a temporary
 * directory.
 */
public final class AuthorizeModeLoadSketch {
    static final byte[] BODY = "{\"amount\":50000,\"currency\":\"EUR\",\"vendor\":{\"id\":\"acme-supplies\"}}"
            .getBytes(StandardCharsets.UTF_8);
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
            """;
    static final String SCOPE = "{\"actions\":[\"erp.*\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":0}";

    private AuthorizeModeLoadSketch() {}

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean verify = !(args.length > 2 && args[2].equals("noverify"));
        Path data = Files.createTempDirectory("writ-authorize-bench");
        String bootstrap = init(data);
        Server upstream = GatewayLoadSketch.upstream();
        String upBase = "http://127.0.0.1:" + ((ServerConnector) upstream.getConnectors()[0]).getLocalPort();
        try (TrustRuntime rt =
                TrustRuntime.open(data, TrustRuntime.Options.defaults().withEnv(Map.of()))) {
            activateProcurement(data, rt);
            try (AuthzRuntime authz = AuthzRuntime.open(rt, AuthzRuntime.Options.defaults())) {
                WritServer server = authz.mountOn(rt.server("127.0.0.1", 0));
                server.start();
                String writBase = "http://127.0.0.1:" + server.port();
                String credential = registerAgent(writBase, bootstrap);
                X509Certificate root = Pem.x509(rt.domain().root().getEncoded());
                AuthorizingGateway.Builder builder = AuthorizingGateway.builder()
                        .upstream(URI.create(upBase))
                        .publicBaseUrl(URI.create("https://erp.example"))
                        .routes(RouteMap.parse(ROUTES, "routes.yaml"))
                        .writServer(URI.create(writBase))
                        .listen(new InetSocketAddress("127.0.0.1", 0));
                if (verify) {
                    builder.verifyEnvelopes(List.of(root));
                }
                try (AuthorizingGateway gateway = builder.build().start()) {
                    HttpClient client = new HttpClient();
                    client.setMaxConnectionsPerDestination(256);
                    client.setMaxRequestsQueuedPerDestination(1 << 20);
                    client.start();
                    int warm = rate;
                    int total = rate * seconds;
                    run(client, upBase + "/orders", null, rate, warm);
                    Histogram direct = run(client, upBase + "/orders", null, rate, total);
                    run(client, gateway.uri() + "/orders", credential, rate, warm);
                    Histogram through = run(client, gateway.uri() + "/orders", credential, rate, total);
                    System.out.printf(
                            "offered %d req/s for %d s (after 1 s warm-up), POST %d-byte body, envelopes %s at the gateway%n",
                            rate, seconds, BODY.length, verify ? "verified" : "not verified");
                    GatewayLoadSketch.print("direct           ", direct);
                    GatewayLoadSketch.print("authorize mode   ", through);
                    System.out.printf(
                            "added            : p50 %.3f ms  p99 %.3f ms%n",
                            (through.getValueAtPercentile(50) - direct.getValueAtPercentile(50)) / 1e6,
                            (through.getValueAtPercentile(99) - direct.getValueAtPercentile(99)) / 1e6);
                    client.stop();
                } finally {
                    server.stop();
                }
            }
        } finally {
            upstream.stop();
        }
    }

    static Histogram run(HttpClient client, String url, String credential, int rate, int total) throws Exception {
        Recorder recorder = new Recorder(3);
        AtomicLong failures = new AtomicLong();
        CountDownLatch done = new CountDownLatch(total);
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 10_000_000L;
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            var req = client.POST(url).body(new BytesRequestContent("application/json", BODY));
            if (credential != null) {
                req.headers(h -> h.put("Authorization", "Bearer " + credential));
            }
            req.send(result -> {
                if (result.isFailed() || result.getResponse().getStatus() != 200) {
                    if (failures.incrementAndGet() == 1) {
                        System.out.println("first failure: "
                                + (result.isFailed()
                                        ? String.valueOf(result.getFailure())
                                        : "HTTP " + result.getResponse().getStatus()));
                    }
                } else {
                    recorder.recordValue(System.nanoTime() - scheduled);
                }
                done.countDown();
            });
        }
        done.await();
        if (failures.get() > 0) {
            System.out.println("failures: " + failures.get() + " (" + url + ")");
        }
        return recorder.getIntervalHistogram();
    }

    static String init(Path dir) throws Exception {
        SecureRandom random = new SecureRandom();
        var custody = CustodyConfig.software();
        try (KeyCustody keys = CustodyConfig.create(dir, custody, Map.of(), random);
                SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            return DomainCeremony.init(
                            dir,
                            "writ.local",
                            "http://127.0.0.1:7070",
                            keys,
                            custody,
                            store,
                            "bench passphrase, not a secret".toCharArray(),
                            "acme",
                            InstantSource.system(),
                            random)
                    .bootstrapToken();
        }
    }

    static void activateProcurement(Path dir, TrustRuntime rt) throws Exception {
        TrustDomain domain = rt.domain();
        X509Certificate policyCa =
                Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
        X509Certificate signing = Pem.x509(domain.policySigning().certificate().getEncoded());
        PolicyService service = new PolicyService(
                new JdbcPolicyStore(PolicyDatabase.openSqlite(dir)),
                new BundleVerifier(policyCa, InstantSource.system()),
                PolicySigningIdentity.of(rt.custody(), domain.policySigning().key(), List.of(signing, policyCa)),
                (type, body) -> {},
                InstantSource.system());
        Map<String, byte[]> files = new HashMap<>();
        for (String f : List.of(
                "manifest.json",
                "schema.cedarschema",
                "procurement.cedar",
                "guardrails.cedar",
                "tests/procurement.json")) {
            try (InputStream in = AuthorizeModeLoadSketch.class.getResourceAsStream("/bundles/procurement/" + f)) {
                files.put(f, in.readAllBytes());
            }
        }
        service.activate(service.push(BundleFiles.of(files)).version());
    }

    static String registerAgent(String base, String adminToken) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/v1/agents"))
                        .header("Authorization", "Bearer " + adminToken)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"tenant\":\"acme\",\"name\":\"bench-buyer\",\"scope\":" + SCOPE + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("agent registration failed: HTTP " + r.statusCode());
        }
        JsonNode b = new ObjectMapper().readTree(r.body());
        return b.path("credential").asText();
    }
}
