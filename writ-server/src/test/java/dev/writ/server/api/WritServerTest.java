package dev.writ.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The server framework on its own: mounts, h2c, request ids, JSON errors. */
class WritServerTest {
    static HttpResponse<String> get(HttpClient http, String url, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void mountsRouteByLongestPrefixAndCanBeAddedAfterStart() throws Exception {
        try (WritServer server = new WritServer("127.0.0.1", 0)) {
            server.mount("/v1", new Router().get("/v1/a", ex -> ex.text(200, "text/plain", "short")));
            server.mount(
                    "/v1/log",
                    new Router().get("/v1/log/{n}", ex -> ex.text(200, "text/plain", "log " + ex.param("n"))));
            server.start();
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            assertThat(get(http, base + "/v1/a", null).body()).isEqualTo("short");
            assertThat(get(http, base + "/v1/log/7", null).body()).isEqualTo("log 7");
            // Mounted after start.
            server.mount("/late", new Router().get("/late", ex -> ex.text(200, "text/plain", "late")));
            assertThat(get(http, base + "/late", null).body()).isEqualTo("late");
            HttpResponse<String> missing = get(http, base + "/v1/none", "abc-123");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body())
                    .isEqualTo("{\"error\":{\"code\":\"request.not_found\",\"message\":\"no such endpoint\"}}");
            assertThat(missing.headers().firstValue("X-Request-Id")).contains("abc-123");
            // Unsafe client ids are replaced.
            assertThat(get(http, base + "/healthz", "bad id\twith tab")
                            .headers()
                            .firstValue("X-Request-Id")
                            .orElseThrow())
                    .matches("[0-9a-f]{16}");
        }
    }

    @Test
    void servesHttpsWithAPkcs12Keystore(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path ks = tmp.resolve("server.p12");
        TestTools.Result gen = TestTools.run(java.util.List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool")
                        .toString(),
                "-genkeypair",
                "-alias",
                "writ",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "1",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit"));
        assertThat(gen.exit()).as(gen.out()).isZero();
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(ks)) {
            trust.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (WritServer server = new WritServer("127.0.0.1", 0, ks, "changeit").start()) {
            HttpClient https = HttpClient.newBuilder().sslContext(ctx).build();
            HttpResponse<String> r = get(https, "https://127.0.0.1:" + server.port() + "/healthz", null);
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void speaksH2cAndHttp11OnOnePort() throws Exception {
        try (WritServer server = new WritServer("127.0.0.1", 0).start()) {
            String url = "http://127.0.0.1:" + server.port() + "/healthz";
            HttpResponse<String> h2 = get(
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build(), url, null);
            assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(h2.body()).isEqualTo("{\"status\":\"ok\"}");
            HttpResponse<String> h1 = get(
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), url, null);
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            server.readiness(() -> false);
            assertThat(get(HttpClient.newHttpClient(), "http://127.0.0.1:" + server.port() + "/readyz", null)
                            .statusCode())
                    .isEqualTo(503);
        }
    }
}
