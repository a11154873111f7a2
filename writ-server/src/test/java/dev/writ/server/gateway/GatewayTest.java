package dev.writ.server.gateway;

import static dev.writ.server.gateway.GatewayFixture.envelope;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.sae.TestPki;
import dev.writ.server.gateway.GatewayFixture.Publisher;
import dev.writ.server.gateway.GatewayFixture.Upstream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The enforcing gateway over real sockets: a real upstream, a real revocation publisher, real envelopes. */
class GatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] BODY = "{\"amount\":12500,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    Instant now = Instant.now();
    TestPki pki = new TestPki(now);
    TestPki.Issued agent = pki.agent().issue();
    Upstream upstream;
    Publisher publisher;
    RevocationStreamClient revocations;
    FileNonceStore nonces;
    Gateway gateway;
    HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        upstream = new Upstream();
        publisher = new Publisher(0);
        revocations = RevocationStreamClient.builder()
                .server(URI.create(publisher.base()))
                .maxStaleness(Duration.ofMillis(1000))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .build()
                .start();
        assertThat(revocations.awaitSynced(Duration.ofSeconds(5))).isTrue();
        nonces = FileNonceStore.open(dir.resolve("nonces"), InstantSource.system(), FileNonceStore.Durability.WRITE);
        gateway = gateway(upstream.base(), nonces, Gateway.DEFAULT_MAX_BODY);
    }

    Gateway gateway(String up, FileNonceStore store, int maxBody) throws Exception {
        return Gateway.builder()
                .upstream(URI.create(up))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .trustAnchors(List.of(pki.root.certificate()))
                .nonceStore(store)
                .revocationSource(revocations)
                .maxBody(maxBody)
                .connectTimeout(Duration.ofSeconds(2))
                .upstreamIdleTimeout(Duration.ofSeconds(3))
                .build()
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        revocations.close();
        publisher.close();
        upstream.close();
        nonces.close();
    }

    String url(String pathAndQuery) {
        return upstream.base() + pathAndQuery;
    }

    HttpResponse<String> send(String method, String pathAndQuery, byte[] body, String sae) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.uri() + pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (sae != null) {
            b.header(Gateway.SAE_HEADER, sae);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    String sae(String method, String pathAndQuery, byte[] body) {
        return envelope(pki, agent, now, method, url(pathAndQuery), body);
    }

    static String code(HttpResponse<String> r) throws Exception {
        JsonNode n = JSON.readTree(r.body());
        return n.path("error").path("code").asText();
    }

    void assertRefused(HttpResponse<String> r, String code) throws Exception {
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(code(r)).isEqualTo(code);
        assertThat(upstream.seen).as("nothing reaches the upstream").isEmpty();
    }

    @Test
    void forwardsAValidEnvelopeWithTheExactBodyAndKeepsTheHeader() throws Exception {
        String sae = sae("POST", "/v1/transfers?dry=0&x=%2Fa", BODY);
        HttpResponse<String> r = send("POST", "/v1/transfers?dry=0&x=%2Fa", BODY, sae);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("upstream-ok");
        assertThat(r.headers().firstValue("x-upstream")).hasValue("yes");
        assertThat(upstream.seen).hasSize(1);
        GatewayFixture.Seen seen = upstream.seen.get(0);
        assertThat(seen.method()).isEqualTo("POST");
        assertThat(seen.uri()).isEqualTo("/v1/transfers?dry=0&x=%2Fa");
        assertThat(seen.body()).isEqualTo(BODY);
        assertThat(seen.header(Gateway.SAE_HEADER)).isEqualTo(sae);
    }

    @Test
    void refusesAMissingEnvelope() throws Exception {
        assertRefused(send("POST", "/v1/transfers", BODY, null), "sae.missing");
    }

    @Test
    void refusesAGarbledEnvelope() throws Exception {
        String sae = sae("POST", "/v1/transfers", BODY);
        assertRefused(send("POST", "/v1/transfers", BODY, "garbage.not-an.envelope!"), "sae.malformed");
        String flipped = sae.substring(0, sae.length() - 3) + (sae.endsWith("A") ? "B" : "A") + "AA";
        HttpResponse<String> r = send("POST", "/v1/transfers", BODY, flipped);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isIn("sae.signature", "sae.malformed");
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void refusesAnExpiredEnvelope() throws Exception {
        Instant old = now.minusSeconds(400);
        String sae = envelope(pki, agent, old, "POST", url("/v1/transfers"), BODY);
        assertRefused(send("POST", "/v1/transfers", BODY, sae), "sae.expired");
    }

    @Test
    void refusesAReplay() throws Exception {
        String sae = sae("POST", "/v1/transfers", BODY);
        assertThat(send("POST", "/v1/transfers", BODY, sae).statusCode()).isEqualTo(200);
        HttpResponse<String> r = send("POST", "/v1/transfers", BODY, sae);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("sae.replay");
        assertThat(upstream.seen).hasSize(1);
    }

    @Test
    void refusesAReplayAfterARestart() throws Exception {
        String sae = sae("POST", "/v1/transfers", BODY);
        assertThat(send("POST", "/v1/transfers", BODY, sae).statusCode()).isEqualTo(200);
        gateway.close();
        nonces.close();
        nonces = FileNonceStore.open(dir.resolve("nonces"), InstantSource.system(), FileNonceStore.Durability.WRITE);
        gateway = gateway(upstream.base(), nonces, Gateway.DEFAULT_MAX_BODY);
        HttpResponse<String> r = send("POST", "/v1/transfers", BODY, sae);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("sae.replay");
        assertThat(upstream.seen).hasSize(1);
    }

    @Test
    void refusesAnotherMethod() throws Exception {
        assertRefused(send("PUT", "/v1/transfers", BODY, sae("POST", "/v1/transfers", BODY)), "sae.binding.method");
    }

    @Test
    void refusesAnotherUrl() throws Exception {
        String sae = sae("POST", "/v1/transfers", BODY);
        assertRefused(send("POST", "/v1/transfers/other", BODY, sae), "sae.binding.url");
        assertRefused(send("POST", "/v1/transfers?to=mallory", BODY, sae), "sae.binding.url");
        // Same path after decoding, different bytes: the gateway compares what the upstream will see, undecoded.
        assertRefused(send("POST", "/v1/%74ransfers", BODY, sae), "sae.binding.url");
    }

    @Test
    void refusesAnotherBody() throws Exception {
        byte[] other = "{\"amount\":99999,\"currency\":\"EUR\"}".getBytes(StandardCharsets.UTF_8);
        assertRefused(send("POST", "/v1/transfers", other, sae("POST", "/v1/transfers", BODY)), "sae.binding.body");
    }

    @Test
    void refusesAnOversizedBody() throws Exception {
        gateway.close();
        gateway = gateway(upstream.base(), nonces, 1024);
        byte[] big = new byte[4096];
        String sae = sae("POST", "/v1/upload", big);
        HttpResponse<String> r = send("POST", "/v1/upload", big, sae);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(code(r)).isEqualTo("gateway.body_too_large");
        // Without a Content-Length (chunked), the cap applies while the body streams in.
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(gateway.uri() + "/v1/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .header(Gateway.SAE_HEADER, sae)
                .build();
        HttpResponse<String> r2 = http.send(chunked, HttpResponse.BodyHandlers.ofString());
        assertThat(r2.statusCode()).isEqualTo(413);
        assertThat(upstream.seen).isEmpty();
    }

    @Test
    void doesNotForwardHopByHopHeaders() throws Exception {
        String sae = sae("GET", "/v1/accounts", new byte[0]);
        String request = "GET /v1/accounts HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Writ-SAE: " + sae + "\r\n"
                + "Connection: close, X-Hop-Secret\r\n"
                + "X-Hop-Secret: do-not-forward\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "Proxy-Authorization: Basic c2VjcmV0\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "X-End-To-End: kept\r\n"
                + "\r\n";
        String response = raw(gateway.port(), request);
        assertThat(response).startsWith("HTTP/1.1 200");
        assertThat(upstream.seen).hasSize(1);
        GatewayFixture.Seen seen = upstream.seen.get(0);
        assertThat(seen.header("X-End-To-End")).isEqualTo("kept");
        assertThat(seen.header("X-Hop-Secret")).isNull();
        assertThat(seen.header("Keep-Alive")).isNull();
        assertThat(seen.header("Proxy-Authorization")).isNull();
        assertThat(seen.header("Proxy-Connection")).isNull();
        assertThat(String.valueOf(seen.header("Connection"))).doesNotContain("X-Hop-Secret");
    }

    @Test
    void aClientExpecting100ContinueIsServedAndTheUpstreamGetsTheBody() throws Exception {
        String sae = sae("POST", "/v1/transfers", BODY);
        String head = "POST /v1/transfers HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Writ-SAE: " + sae + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + BODY.length + "\r\n"
                + "Expect: 100-continue\r\n"
                + "Connection: close\r\n"
                + "\r\n";
        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] interim = new byte[25];
            int n = in.readNBytes(interim, 0, interim.length);
            assertThat(new String(interim, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 100");
            out.write(BODY);
            out.flush();
            String rest = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(rest).contains("HTTP/1.1 200").endsWith("upstream-ok");
        }
        assertThat(upstream.seen).hasSize(1);
        assertThat(upstream.seen.get(0).body()).isEqualTo(BODY);
        assertThat(upstream.seen.get(0).header("Expect")).isNull();
    }

    @Test
    void revocationPushedOverTheStreamIsEnforcedWithinASecond() throws Exception {
        assertThat(send("POST", "/v1/transfers", BODY, sae("POST", "/v1/transfers", BODY))
                        .statusCode())
                .isEqualTo(200);
        long start = System.nanoTime();
        publisher.feed.publish(agent.certificate(), "keyCompromise", now);
        HttpResponse<String> r;
        do {
            r = send("POST", "/v1/transfers", BODY, sae("POST", "/v1/transfers", BODY));
        } while (r.statusCode() == 200 && System.nanoTime() - start < 1_000_000_000L);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(code(r)).isEqualTo("sae.revoked");
        assertThat(elapsedMs).isLessThan(1000);
        assertThat(revocations.cursor()).isEqualTo(1);
    }

    @Test
    void failsClosedWhenTheStreamIsDownBeyondTheBoundAndRecovers() throws Exception {
        int port = publisher.port();
        publisher.close();
        Thread.sleep(1300);
        assertThat(revocations.isFresh()).isFalse();
        assertRefused(
                send("POST", "/v1/transfers", BODY, sae("POST", "/v1/transfers", BODY)), "sae.revocation_unavailable");
        // A revocation published while the PEP was away arrives on reconnect (the cursor resumes the stream).
        publisher = new Publisher(port);
        publisher.feed.publish(agent.certificate(), "keyCompromise", now);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!(revocations.isFresh() && revocations.revokedCount() == 1) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(revocations.isFresh()).isTrue();
        assertRefused(send("POST", "/v1/transfers", BODY, sae("POST", "/v1/transfers", BODY)), "sae.revoked");
    }

    @Test
    void upstreamDownGives502() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        gateway.close();
        gateway = gateway("http://127.0.0.1:" + closedPort, nonces, Gateway.DEFAULT_MAX_BODY);
        String sae = envelope(pki, agent, now, "POST", "http://127.0.0.1:" + closedPort + "/v1/transfers", BODY);
        HttpResponse<String> r = send("POST", "/v1/transfers", BODY, sae);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(code(r)).isEqualTo("gateway.upstream_unavailable");
    }

    @Test
    void aPostThatFailsUpstreamIsNotRetried() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        try (ServerSocket broken = new ServerSocket()) {
            broken.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!broken.isClosed()) {
                    try (Socket s = broken.accept()) {
                        attempts.incrementAndGet();
                        s.getInputStream().read(new byte[8192]);
                        // Close without answering: the request may or may not have been executed.
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            String up = "http://127.0.0.1:" + broken.getLocalPort();
            gateway.close();
            gateway = gateway(up, nonces, Gateway.DEFAULT_MAX_BODY);
            String sae = envelope(pki, agent, now, "POST", up + "/v1/transfers", BODY);
            HttpResponse<String> r = send("POST", "/v1/transfers", BODY, sae);
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(code(r)).isEqualTo("gateway.upstream_unavailable");
            Thread.sleep(300);
            assertThat(attempts.get()).isEqualTo(1);
            broken.close();
            acceptor.join(2000);
        }
    }

    @Test
    void aPublicBaseUrlIsWhatEnvelopesBind() throws Exception {
        gateway.close();
        gateway = Gateway.builder()
                .upstream(URI.create(upstream.base() + "/internal/"))
                .publicBaseUrl(URI.create("https://api.bank.test"))
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .trustAnchors(List.of(pki.root.certificate()))
                .nonceStore(nonces)
                .revocationSource(revocations)
                .build()
                .start();
        String sae = envelope(pki, agent, now, "POST", "https://api.bank.test/v1/transfers", BODY);
        HttpResponse<String> r = send("POST", "/v1/transfers", BODY, sae);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstream.seen.get(0).uri()).isEqualTo("/internal/v1/transfers");
    }

    static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
