package dev.writ.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.sae.TestPki;
import dev.writ.server.gateway.GatewayFixture.Publisher;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's {@code /readyz} follows its revocation stream, and stopping drains requests in flight. */
class GatewayLifecycleTest {
    @TempDir
    Path dir;

    static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }

    @Test
    void readinessFollowsTheRevocationStream() throws Exception {
        TestPki pki = new TestPki(Instant.now());
        HttpClient http = HttpClient.newHttpClient();
        Publisher publisher = new Publisher(0);
        try (GatewayFixture.Upstream upstream = new GatewayFixture.Upstream();
                FileNonceStore nonces = FileNonceStore.open(
                        dir.resolve("nonces"), InstantSource.system(), FileNonceStore.Durability.WRITE);
                RevocationStreamClient stream = RevocationStreamClient.builder()
                        .server(URI.create(publisher.base() + "/"))
                        .maxStaleness(Duration.ofMillis(600))
                        .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                        .build()
                        .start();
                Gateway gateway = Gateway.builder()
                        .upstream(URI.create(upstream.base()))
                        .listen(new InetSocketAddress("127.0.0.1", 0))
                        .trustAnchors(List.of(pki.root.certificate()))
                        .nonceStore(nonces)
                        .revocationSource(stream)
                        .readiness(stream::isFresh)
                        .build()
                        .start()) {
            assertThat(stream.awaitSynced(Duration.ofSeconds(5))).isTrue();
            HttpResponse<String> ready = get(http, gateway.uri() + "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"ready\"");
            assertThat(upstream.seen)
                    .as("/readyz is answered by the gateway, never forwarded")
                    .isEmpty();

            // The publisher goes away: once the stream is stale the gateway refuses what it cannot check, and says so.
            publisher.close();
            await(() -> !stream.isFresh());
            HttpResponse<String> notReady = get(http, gateway.uri() + "/readyz");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("\"gateway.not_ready\"");
            assertThat(get(http, gateway.uri() + "/healthz").statusCode())
                    .as("alive, only not ready")
                    .isEqualTo(200);
        } finally {
            publisher.close();
        }
    }

    @Test
    void stoppingLetsARequestInFlightFinish() throws Exception {
        TestPki pki = new TestPki(Instant.now());
        CountDownLatch arrived = new CountDownLatch(1);
        Server slow = new Server();
        ServerConnector sc = new ServerConnector(slow);
        sc.setHost("127.0.0.1");
        slow.addConnector(sc);
        slow.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Content.Source.asByteArrayAsync(request, 1 << 20).get();
                arrived.countDown();
                Thread.sleep(1_000);
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap("done".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        slow.start();
        HttpClient http = HttpClient.newHttpClient();
        try (FileNonceStore nonces =
                FileNonceStore.open(dir.resolve("nonces"), InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            Gateway gateway = Gateway.builder()
                    .upstream(URI.create("http://127.0.0.1:" + sc.getLocalPort()))
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .trustAnchors(List.of(pki.root.certificate()))
                    .nonceStore(nonces)
                    .revocationSource(new dev.writ.core.revocation.InMemoryRevocationSource())
                    .build()
                    .start();
            TestPki.Issued agent = pki.agent().issue();
            Instant now = Instant.now();
            byte[] body = "{\"amount\":1}".getBytes(StandardCharsets.UTF_8);
            String url = "http://127.0.0.1:" + sc.getLocalPort() + "/orders";
            String sae = GatewayFixture.envelope(pki, agent, now, "POST", url, body);
            URI through = URI.create(gateway.uri() + "/orders");
            CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(
                    HttpRequest.newBuilder(through)
                            .header(Gateway.SAE_HEADER, sae)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
            long began = System.nanoTime();
            gateway.close(); // graceful: waits for the request above
            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("done");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began))
                    .as("close waited for the request in flight")
                    .isGreaterThanOrEqualTo(500);
        } finally {
            slow.stop();
        }
    }
}
