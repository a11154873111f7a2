package dev.writ.server.gateway;

import static dev.writ.server.gateway.GatewayFixture.envelope;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.sae.TestPki;
import dev.writ.server.gateway.GatewayFixture.Publisher;
import dev.writ.server.gateway.GatewayFixture.Upstream;
import dev.writ.server.redis.RedisNonceStore;
import dev.writ.server.redis.RedisServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two enforcing gateways in front of one API, each with its own connection to one real {@code redis-server} for replay
 * nonces: an envelope spent at one is refused at the other, and without Redis both refuse everything.
 */
class SharedNonceGatewayTest {
    private static final byte[] BODY = "{\"amount\":12500,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    Instant now = Instant.now();
    TestPki pki = new TestPki(now);
    TestPki.Issued agent = pki.agent().issue();
    RedisServer redis;
    Upstream upstream;
    Publisher publisher;
    RevocationStreamClient revocations;
    RedisNonceStore noncesA;
    RedisNonceStore noncesB;
    Gateway a;
    Gateway b;
    HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        upstream = new Upstream();
        publisher = new Publisher(0);
        revocations = RevocationStreamClient.builder()
                .server(URI.create(publisher.base()))
                .maxStaleness(Duration.ofSeconds(2))
                .build()
                .start();
        assertThat(revocations.awaitSynced(Duration.ofSeconds(5))).isTrue();
        noncesA = RedisNonceStore.connect(redis.uri(), Duration.ofSeconds(2), "writ.local", InstantSource.system());
        noncesB = RedisNonceStore.connect(redis.uri(), Duration.ofSeconds(2), "writ.local", InstantSource.system());
        a = gateway(noncesA);
        b = gateway(noncesB);
    }

    Gateway gateway(RedisNonceStore nonces) throws Exception {
        return Gateway.builder()
                .upstream(URI.create(upstream.base()))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .trustAnchors(List.of(pki.root.certificate()))
                .nonceStore(nonces)
                .revocationSource(revocations)
                .build()
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        a.close();
        b.close();
        noncesA.close();
        noncesB.close();
        revocations.close();
        publisher.close();
        upstream.close();
        redis.close();
    }

    HttpResponse<String> send(Gateway gw, String sae) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(gw.uri() + "/v1/transfers"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(BODY))
                        .header(Gateway.SAE_HEADER, sae)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String sae() {
        return envelope(pki, agent, now, "POST", upstream.base() + "/v1/transfers", BODY);
    }

    static String code(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).path("error").path("code").asText();
    }

    @Test
    void anEnvelopeSpentAtOneGatewayIsRefusedAtTheOther() throws Exception {
        String first = sae();
        assertThat(send(a, first).statusCode()).isEqualTo(200);
        HttpResponse<String> replay = send(b, first);
        assertThat(replay.statusCode()).isEqualTo(403);
        assertThat(code(replay)).isEqualTo("sae.replay");

        String second = sae();
        assertThat(send(b, second).statusCode()).isEqualTo(200);
        assertThat(code(send(a, second))).isEqualTo("sae.replay");
        assertThat(upstream.seen).hasSize(2);
    }

    @Test
    void withoutRedisEveryGatewayRefusesWithTheStableCode() throws Exception {
        redis.stop();
        for (Gateway gw : List.of(a, b)) {
            HttpResponse<String> r = send(gw, sae());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(code(r)).isEqualTo("sae.nonce_store");
        }
        assertThat(upstream.seen).as("nothing reaches the upstream").isEmpty();

        redis.startAgain();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status = 0;
        while (status != 200 && System.nanoTime() < deadline) {
            status = send(a, sae()).statusCode();
            if (status != 200) {
                Thread.sleep(100);
            }
        }
        assertThat(status).as("enforcing again once Redis is back").isEqualTo(200);
    }
}
