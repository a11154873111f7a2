package dev.writ.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.TestEnvelope;
import dev.writ.core.sae.TestPki;
import dev.writ.server.gateway.AuthorizingGateway;
import dev.writ.server.gateway.Gateway;
import dev.writ.server.gateway.RouteMap;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ gateway}'s own {@code /metrics} and {@code /healthz}, and its request counters, over real sockets. */
class GatewayMetricsTest {
    @TempDir
    Path dir;

    @Test
    void forwardedAndRefusedRequestsAreCountedWithTheirReasonAndAddedLatency() throws Exception {
        Instant now = Instant.now();
        TestPki pki = new TestPki(now);
        TestPki.Issued agent = pki.agent().issue();
        AtomicInteger upstreamHits = new AtomicInteger();
        Server upstream = new Server();
        ServerConnector uc = new ServerConnector(upstream);
        uc.setHost("127.0.0.1");
        upstream.addConnector(uc);
        upstream.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Content.Source.asByteArrayAsync(request, 1 << 20).get();
                upstreamHits.incrementAndGet();
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        upstream.start();
        String upstreamBase = "http://127.0.0.1:" + uc.getLocalPort();
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (FileNonceStore nonces = FileNonceStore.open(
                        dir.resolve("nonces"), InstantSource.system(), FileNonceStore.Durability.WRITE);
                Gateway gateway = Gateway.builder()
                        .upstream(URI.create(upstreamBase))
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .trustAnchors(List.of(pki.root.certificate()))
                        .nonceStore(nonces)
                        .revocationSource(new InMemoryRevocationSource())
                        .build()
                        .start()) {
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create(gateway.uri() + "/healthz"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"ok\"");

            byte[] body = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
            TestEnvelope e = TestEnvelope.standard(pki, agent, now, pki.ocspGood(agent, now));
            String url = upstreamBase + "/orders";
            e.claims.put("sub", url);
            ObjectNode binding = (ObjectNode) e.claims.get("act").get("http");
            binding.put("method", "POST");
            binding.put("url", url);
            binding.put("body", HttpBinding.digestBody(body));
            String sae = e.sign(agent.privateKey());

            HttpResponse<String> forwarded = post(http, gateway.uri() + "/orders", body, sae);
            assertThat(forwarded.statusCode()).as(forwarded.body()).isEqualTo(200);
            HttpResponse<String> replay = post(http, gateway.uri() + "/orders", body, sae);
            assertThat(replay.statusCode()).isEqualTo(403);
            HttpResponse<String> bare = post(http, gateway.uri() + "/orders", body, null);
            assertThat(bare.statusCode()).isEqualTo(403);
            assertThat(upstreamHits).hasValue(1);

            HttpResponse<String> metrics = http.send(
                    HttpRequest.newBuilder(URI.create(gateway.uri() + "/metrics"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            Exposition x = new Exposition(metrics.body());
            String requests = "writ_gateway_requests_total";
            assertThat(x.value(requests, "mode", "enforce", "outcome", "forwarded", "reason", ""))
                    .isEqualTo(1);
            assertThat(x.value(requests, "mode", "enforce", "outcome", "refused", "reason", "sae.missing"))
                    .isEqualTo(1);
            assertThat(x.samples.stream()
                            .filter(s -> s.name().equals(requests)
                                    && "refused".equals(s.labels().get("outcome")))
                            .mapToDouble(Exposition.Sample::value)
                            .sum())
                    .as("the replay and the bare request")
                    .isEqualTo(2);
            assertThat(x.value("writ_gateway_added_latency_seconds_count", "mode", "enforce", "outcome", "forwarded"))
                    .isEqualTo(1);
            assertThat(x.value("writ_gateway_added_latency_seconds_sum", "mode", "enforce", "outcome", "forwarded"))
                    .isGreaterThan(0);
            // The envelope, and the request's URL path, never reach the exposition.
            assertThat(metrics.body()).doesNotContain(sae.substring(0, 40)).doesNotContain("/orders");
        } finally {
            upstream.stop();
        }
    }

    @Test
    void authorizeModeCountsForwardedRefusedAndPendingRequests() throws Exception {
        AtomicInteger upstreamHits = new AtomicInteger();
        Server upstream = upstream(upstreamHits);
        String upstreamBase = "http://127.0.0.1:" + ((ServerConnector) upstream.getConnectors()[0]).getLocalPort();
        RouteMap routes = RouteMap.parse(
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
                      counterparty: /counterparty
                """,
                "test routes");
        HttpClient http =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (ServeFixture serve = new ServeFixture(dir.resolve("data"));
                AuthorizingGateway gateway = AuthorizingGateway.builder()
                        .upstream(URI.create(upstreamBase))
                        .routes(routes)
                        .writServer(URI.create(serve.url))
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .build()
                        .start()) {
            String credential = serve.agent("gateway-buyer").path("credential").asText();
            assertThat(order(http, gateway.uri() + "/orders", credential, 50_000, "globex")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(order(http, gateway.uri() + "/orders", credential, 50_000, "unknown-corp")
                            .statusCode())
                    .isEqualTo(403);
            assertThat(order(http, gateway.uri() + "/orders", credential, 6_000_000, "globex")
                            .statusCode())
                    .isEqualTo(202);
            assertThat(order(http, gateway.uri() + "/nowhere", credential, 1, "globex")
                            .statusCode())
                    .isEqualTo(403);
            assertThat(upstreamHits).hasValue(1);

            Exposition x = new Exposition(http.send(
                            HttpRequest.newBuilder(URI.create(gateway.uri() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            String requests = "writ_gateway_requests_total";
            assertThat(x.value(requests, "mode", "authorize", "outcome", "forwarded", "reason", ""))
                    .isEqualTo(1);
            assertThat(x.value(requests, "mode", "authorize", "outcome", "refused", "reason", "denied.policy"))
                    .isEqualTo(1);
            assertThat(x.value(requests, "mode", "authorize", "outcome", "pending", "reason", "approval.pending"))
                    .isEqualTo(1);
            assertThat(x.value(requests, "mode", "authorize", "outcome", "refused", "reason", "gateway.no_route"))
                    .isEqualTo(1);
            assertThat(x.value("writ_gateway_added_latency_seconds_count", "mode", "authorize", "outcome", "forwarded"))
                    .isEqualTo(1);
            assertThat(gateway.metrics()).isNotNull();
        } finally {
            upstream.stop();
        }
    }

    static Server upstream(AtomicInteger hits) throws Exception {
        Server upstream = new Server();
        ServerConnector uc = new ServerConnector(upstream);
        uc.setHost("127.0.0.1");
        upstream.addConnector(uc);
        upstream.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Content.Source.asByteArrayAsync(request, 1 << 20).get();
                hits.incrementAndGet();
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        upstream.start();
        return upstream;
    }

    static HttpResponse<String> order(HttpClient http, String url, String credential, long amount, String counterparty)
            throws Exception {
        String body = "{\"amount\":" + amount + ",\"currency\":\"EUR\",\"counterparty\":\"" + counterparty + "\"}";
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Authorization", "Bearer " + credential)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient http, String url, byte[] body, String sae) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (sae != null) {
            b.header(Gateway.SAE_HEADER, sae);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
