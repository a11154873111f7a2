package dev.writ.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} of a real {@code writ serve}: counters move by exactly what was done, and nothing secret shows. */
class MetricsTest {
    @TempDir
    static Path tmp;

    static ServeFixture serve;

    @BeforeAll
    static void start() throws Exception {
        serve = new ServeFixture(tmp.resolve("data"));
    }

    @AfterAll
    static void stop() throws Exception {
        serve.close();
    }

    Exposition scrape() throws Exception {
        HttpResponse<String> r = serve.get(serve.url + "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        Exposition e = new Exposition(r.body());
        // A request is counted when its response completes on the server, which may be just after the client has
        // read it: scrape until the request counters (other than the scrapes' own) stop moving.
        for (int i = 0; i < 50; i++) {
            Thread.sleep(20);
            HttpResponse<String> again = serve.get(serve.url + "/metrics");
            Exposition next = new Exposition(again.body());
            if (requestCounts(next).equals(requestCounts(e))) {
                return next;
            }
            e = next;
        }
        return e;
    }

    private static java.util.List<Exposition.Sample> requestCounts(Exposition e) {
        return e.samples.stream()
                .filter(s -> s.name().equals("writ_http_requests_total")
                        && !"/metrics".equals(s.labels().get("route")))
                .toList();
    }

    @Test
    void allowDenyAndPendingMoveTheirCountersByExactlyOne() throws Exception {
        JsonNode agent = serve.agent("buyer");
        String credential = agent.path("credential").asText();
        Exposition before = scrape();

        HttpResponse<String> allow =
                serve.send("POST", "/v1/authorize", credential, ServeFixture.purchaseOrder(50_000, "acme-supplies"));
        assertThat(allow.statusCode()).as(allow.body()).isEqualTo(200);
        HttpResponse<String> deny =
                serve.send("POST", "/v1/authorize", credential, ServeFixture.purchaseOrder(50_000, "unknown-corp"));
        assertThat(deny.statusCode()).as(deny.body()).isEqualTo(403);
        assertThat(ServeFixture.JSON.readTree(deny.body()).path("code").asText())
                .isEqualTo("denied.policy");
        HttpResponse<String> pending =
                serve.send("POST", "/v1/authorize", credential, ServeFixture.purchaseOrder(6_000_000, "globex"));
        assertThat(pending.statusCode()).as(pending.body()).isEqualTo(202);
        HttpResponse<String> unauthenticated = serve.send(
                "POST", "/v1/authorize", "writ_agent_not-a-credential", ServeFixture.purchaseOrder(1, "globex"));
        assertThat(unauthenticated.statusCode()).isEqualTo(401);

        Exposition after = scrape();
        String decisions = "writ_authorize_decisions_total";
        assertThat(delta(before, after, decisions, "code", "", "outcome", "allow"))
                .isEqualTo(1);
        assertThat(delta(before, after, decisions, "code", "denied.policy", "outcome", "deny"))
                .isEqualTo(1);
        assertThat(delta(before, after, decisions, "code", "", "outcome", "pending"))
                .isEqualTo(1);
        assertThat(delta(before, after, decisions, "code", "auth.invalid", "outcome", "error"))
                .isEqualTo(1);
        assertThat(delta(before, after, decisions, "code", "denied.scope", "outcome", "deny"))
                .isZero();
        for (String outcome : new String[] {"allow", "deny", "pending", "error"}) {
            assertThat(delta(before, after, "writ_authorize_duration_seconds_count", "outcome", outcome))
                    .as(outcome)
                    .isEqualTo(1);
        }
        // Every observation falls in some bucket: the +Inf bucket equals the count.
        assertThat(after.value("writ_authorize_duration_seconds_bucket", "le", "+Inf", "outcome", "allow"))
                .isEqualTo(after.value("writ_authorize_duration_seconds_count", "outcome", "allow"));

        String http = "writ_http_requests_total";
        for (String status : new String[] {"200", "403", "202", "401"}) {
            assertThat(delta(before, after, http, "method", "POST", "route", "/v1/authorize", "status", status))
                    .as(status)
                    .isEqualTo(1);
        }
        // Allow, deny and the approval request were each logged, durably, before their answer.
        assertThat(after.value("writ_log_entries") - before.value("writ_log_entries"))
                .isGreaterThanOrEqualTo(3);
        assertThat(delta(before, after, "writ_log_appended_entries_total")).isGreaterThanOrEqualTo(3);
        assertThat(delta(before, after, "writ_log_commit_duration_seconds_count"))
                .isGreaterThanOrEqualTo(1);
        assertThat(after.value("writ_approvals_pending")).isEqualTo(1);

        // Nothing secret in the exposition: no credential, token, envelope or identifier of a decision.
        String text = serve.get(serve.url + "/metrics").body();
        JsonNode allowed = ServeFixture.JSON.readTree(allow.body());
        assertThat(text)
                .doesNotContain(credential)
                .doesNotContain(serve.admin)
                .doesNotContain("writ_agent_")
                .doesNotContain("writ_op_")
                .doesNotContain(allowed.path("jti").asText())
                .doesNotContain(allowed.path("sae").asText().substring(0, 20))
                .doesNotContain(agent.path("agent_id").asText());
    }

    @Test
    void routesAreTemplatesNeverRawPaths() throws Exception {
        Exposition before = scrape();
        HttpResponse<String> unknownAgent =
                serve.send("GET", "/api/v1/agents/agent-secret-path-123", serve.admin, null);
        assertThat(unknownAgent.statusCode()).isEqualTo(404);
        HttpResponse<String> nowhere = serve.send("GET", "/nowhere-raw-path-456", null, null);
        assertThat(nowhere.statusCode()).isEqualTo(404);
        serve.send("GET", "/log/checkpoint", null, null);

        Exposition after = scrape();
        assertThat(delta(
                        before,
                        after,
                        "writ_http_requests_total",
                        "method",
                        "GET",
                        "route",
                        "/api/v1/agents/{id}",
                        "status",
                        "404"))
                .isEqualTo(1);
        assertThat(delta(
                        before,
                        after,
                        "writ_http_requests_total",
                        "method",
                        "GET",
                        "route",
                        "unmatched",
                        "status",
                        "404"))
                .isEqualTo(1);
        assertThat(delta(before, after, "writ_http_requests_total", "method", "GET", "route", "/log", "status", "200"))
                .isEqualTo(1);
        String text = serve.get(serve.url + "/metrics").body();
        assertThat(text).doesNotContain("agent-secret-path-123").doesNotContain("nowhere-raw-path-456");
    }

    @Test
    void ocspResponsesAreCountedByCaAndStatus() throws Exception {
        Exposition before = scrape();
        HttpResponse<String> r = serve.http.send(
                HttpRequest.newBuilder(URI.create(serve.url + "/ocsp/agents"))
                        .header("Content-Type", "application/ocsp-request")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0x30, 0x00}))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Exposition after = scrape();
        assertThat(delta(before, after, "writ_ocsp_responses_total", "ca", "agents", "status", "malformedRequest"))
                .isEqualTo(1);
    }

    @Test
    void revocationStreamSubscribersAreAGauge() throws Exception {
        HttpResponse<InputStream> stream = serve.http.send(
                HttpRequest.newBuilder(URI.create(serve.url + "/v1/revocations/stream"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try {
            assertThat(stream.statusCode()).isEqualTo(200);
            double subscribers = 0;
            for (int i = 0; i < 100 && subscribers < 1; i++) {
                subscribers = scrape().value("writ_revocation_stream_subscribers");
                Thread.sleep(20);
            }
            assertThat(subscribers).isEqualTo(1);
        } finally {
            stream.body().close();
        }
    }

    @Test
    void jvmMetricsAreExposed() throws Exception {
        Exposition e = scrape();
        assertThat(e.has("jvm_memory_used_bytes")).isTrue();
        assertThat(e.has("jvm_threads_current")).isTrue();
    }

    @Test
    void theParserRejectsWhatIsNotTheTextFormat() {
        assertThatThrownBy(() -> new Exposition("writ_x{a=\"b\" 1\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Exposition("# random comment\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Exposition("writ_x one\n")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Exposition("# TYPE writ_x counter\nwrit_x_total{a=\"b\\\"c\"} 2.0\n")
                        .value("writ_x_total", "a", "b\\\"c"))
                .isEqualTo(2.0);
    }

    @Test
    void ocspStatusIsReadFromTheDer() {
        assertThat(WritMetrics.ocspStatus(new byte[] {0x30, 0x03, 0x0a, 0x01, 0x01}))
                .isEqualTo(1);
        assertThat(WritMetrics.ocspStatus(new byte[] {0x30, (byte) 0x82, 0x01, 0x00, 0x0a, 0x01, 0x00}))
                .isZero();
        assertThat(WritMetrics.ocspStatus(new byte[] {0x31, 0x03, 0x0a, 0x01, 0x01}))
                .isEqualTo(7);
        assertThat(WritMetrics.ocspStatus(new byte[0])).isEqualTo(7);
    }

    static double delta(Exposition before, Exposition after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
