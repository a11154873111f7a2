package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.WritServer;
import dev.writ.server.demo.ProcurementPolicy;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code writ serve} through its own code path: the authorize path, approvals, the audit log and the revocation stream
 * are mounted next to the trust API, answer over a real socket, and are closed when the server stops.
 */
class ServeCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    @AfterEach
    void resetCustomizer() {
        ServeCommand.customizer((rt, server) -> {});
    }

    @Test
    void serveAnswersAuthorizeLogAndRevocationStream() throws Exception {
        Path data = tmp.resolve("data");
        Path pass = tmp.resolve("pass");
        Files.writeString(pass, "a long root passphrase\n");
        CliTest.Run init =
                CliTest.writ("init", "--data", data.toString(), "--root-passphrase-file", pass.toString(), "--json");
        assertThat(init.exit()).as(init.err()).isZero();
        String admin = JSON.readTree(init.out()).path("admin_token").asText();
        // (In-process, `writ policy push` would keep the log open until the JVM exits, so publish directly.)
        assertThat(ProcurementPolicy.pushAndActivate(data, InstantSource.system(), new SecureRandom())
                        .version())
                .isEqualTo(1);

        CompletableFuture<WritServer> started = new CompletableFuture<>();
        ServeCommand.customizer((rt, server) ->
                CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> started.complete(server)));
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(
                () -> Main.commandLine().execute("serve", "--data", data.toString(), "--port", "0"));
        WritServer server = started.get(30, TimeUnit.SECONDS);
        try {
            String url = "http://127.0.0.1:" + server.port();
            awaitHealthy(url);

            // The revocation stream is open before anything is revoked.
            HttpResponse<InputStream> stream = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/v1/revocations/stream"))
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");

            JsonNode agent = post(
                    url + "/api/v1/agents",
                    admin,
                    "{\"tenant\":\"default\",\"name\":\"analyst\",\"scope\":{\"actions\":[\"procurement.*\"],"
                            + "\"limits\":{},\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\","
                            + "\"classification\":\"internal\",\"delegation\":0}}",
                    201);
            String credential = agent.path("credential").asText();

            JsonNode allowed = post(
                    url + "/v1/authorize",
                    credential,
                    "{\"action\":{\"name\":\"procurement.request.analyse\",\"classification\":\"internal\"},"
                            + "\"target\":\"procurement\"}",
                    200);
            assertThat(allowed.path("decision").asText()).isEqualTo("allow");
            assertThat(allowed.path("sae").asText()).contains(".");
            assertThat(allowed.path("receipt").isObject()).isTrue();
            JsonNode denied = post(
                    url + "/v1/authorize",
                    credential,
                    "{\"action\":{\"name\":\"erp.purchase_order.create\",\"classification\":\"internal\"},"
                            + "\"target\":\"erp\"}",
                    403);
            assertThat(denied.path("code").asText()).isEqualTo("denied.scope");

            HttpResponse<String> checkpoint = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/log/checkpoint")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(checkpoint.statusCode()).isEqualTo(200);
            assertThat(checkpoint.body()).startsWith("writ.local/log\n");
            // policy published + activated, the allow and the denial
            long size = Long.parseLong(checkpoint.body().split("\n")[1]);
            assertThat(size).isGreaterThanOrEqualTo(4);

            String serial = agent.path("serial").asText();
            HttpResponse<String> revoked = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/api/v1/certificates/" + serial + "?reason=keyCompromise"))
                            .header("Authorization", "Bearer " + admin)
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
            assertThat(awaitEvent(stream.body(), serial, Duration.ofSeconds(5))).contains("\"keyCompromise\"");
            stream.body().close();

            HttpResponse<String> afterRevocation = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/v1/authorize"))
                            .header("Authorization", "Bearer " + credential)
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"action\":{\"name\":\"procurement.request.analyse\","
                                            + "\"classification\":\"internal\"},\"target\":\"procurement\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(afterRevocation.statusCode()).isEqualTo(401);
        } finally {
            server.stop();
        }
        assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();

        // Stopping released the audit log: it can be opened again (this publishes version 2).
        assertThat(ProcurementPolicy.pushAndActivate(data, InstantSource.system(), new SecureRandom())
                        .version())
                .isEqualTo(2);
    }

    private String awaitEvent(InputStream body, String serial, Duration timeout) throws Exception {
        CompletableFuture<String> found = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains(serial.toLowerCase(java.util.Locale.ROOT))) {
                        return line;
                    }
                }
                return "";
            } catch (java.io.IOException e) {
                return "";
            }
        });
        return found.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private JsonNode post(String url, String bearer, String body, int expected) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Authorization", "Bearer " + bearer)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    private void awaitHealthy(String url) throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                if (http.send(
                                        HttpRequest.newBuilder(URI.create(url + "/healthz"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("server did not become healthy");
    }
}
