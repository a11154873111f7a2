package dev.writ.server.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rough measurement, not a benchmark: sequential {@code POST /v1/authorize} over loopback HTTP/1.1 (keep-alive),
 * allow decisions with a durable log entry and receipt each. Runs only with {@code -Dwrit.authz.latency=N}.
 */
class AuthorizeLatencyTest {
    @TempDir
    Path tmp;

    @Test
    void sequentialAuthorizeLatency() throws Exception {
        String n = System.getProperty("writ.authz.latency");
        assumeTrue(n != null, "set -Dwrit.authz.latency=N to measure");
        int count = Integer.parseInt(n);
        try (AuthzFixture f = new AuthzFixture(tmp.resolve("data"))) {
            AuthzFixture.Agent agent = f.agent("bench");
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest req = HttpRequest.newBuilder(URI.create(f.d.base + "/v1/authorize"))
                    .header("Authorization", "Bearer " + agent.credential())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AuthzFixture.purchaseOrder(50_000, "globex", "")))
                    .build();
            for (int i = 0; i < Math.max(200, count / 2); i++) {
                assertThat(http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode())
                        .isEqualTo(200);
            }
            long[] nanos = new long[count];
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                nanos[i] = System.nanoTime() - s;
                assertThat(r.statusCode()).isEqualTo(200);
            }
            long total = System.nanoTime() - t0;
            Arrays.sort(nanos);
            System.out.printf(
                    "authorize latency over loopback, %d sequential allows: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms,"
                            + " max %.3f ms; %.0f req/s%n",
                    count,
                    nanos[count / 2] / 1e6,
                    nanos[(int) (count * 0.90)] / 1e6,
                    nanos[(int) (count * 0.99)] / 1e6,
                    nanos[count - 1] / 1e6,
                    count / (total / 1e9));
            // For attribution: the authorize path in process (no HTTP), then the durable log append alone.
            var authenticated =
                    f.d.runtime.agents().authenticate(agent.credential()).orElseThrow();
            AuthorizeRequest ar = AuthorizeRequest.parse(
                    AuthzFixture.JSON.readTree(AuthzFixture.purchaseOrder(50_000, "globex", "")));
            long[] inproc = new long[count];
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                assertThat(f.authz.authorizer().authorize(authenticated, ar)).isInstanceOf(Authorizer.Allowed.class);
                inproc[i] = System.nanoTime() - s;
            }
            Arrays.sort(inproc);
            System.out.printf(
                    "authorize path in process, %d sequential: p50 %.3f ms, p99 %.3f ms%n",
                    count, inproc[count / 2] / 1e6, inproc[(int) (count * 0.99)] / 1e6);
            long[] ocsp = new long[count];
            long[] pdp = new long[count];
            var principal = new dev.writ.server.policy.AgentPrincipal(
                    authenticated.agentId(), "acme", authenticated.name(), null, 0, null);
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                f.d.runtime.ocsp().responseFor(authenticated.certificate());
                ocsp[i] = System.nanoTime() - s;
                s = System.nanoTime();
                f.authz
                        .pdp()
                        .decide(
                                principal,
                                authenticated.scope(),
                                ar.action(),
                                dev.writ.server.policy.RequestSignals.NONE,
                                java.time.Instant.now());
                pdp[i] = System.nanoTime() - s;
            }
            Arrays.sort(ocsp);
            Arrays.sort(pdp);
            System.out.printf(
                    "parts: OCSP staple p50 %.3f ms, decision p50 %.3f ms%n",
                    ocsp[count / 2] / 1e6, pdp[count / 2] / 1e6);
            {
                var signer = new dev.writ.server.sae.SaeSigner(
                        f.d.runtime.custody(), java.time.InstantSource.system(), new java.security.SecureRandom());
                var sa = new dev.writ.server.sae.SigningAgent(
                        authenticated.key(),
                        authenticated.certificate(),
                        authenticated.chain().get(1));
                byte[] staple = f.d.runtime.ocsp().responseFor(authenticated.certificate());
                long[] sg = new long[count];
                long[] ap = new long[count];
                String last = null;
                for (int i = 0; i < count; i++) {
                    long s = System.nanoTime();
                    var env = signer.sign(
                            sa,
                            dev.writ.server.sae.EnvelopeRequest.of(
                                    ar.action(), f.authz.pdp().activeHash().get(), "s", staple));
                    sg[i] = System.nanoTime() - s;
                    var e = AuthzFixture.JSON
                            .createObjectNode()
                            .put("type", "sae")
                            .put("jti", env.jti())
                            .put("jws", env.compact());
                    s = System.nanoTime();
                    f.authz
                            .log()
                            .appendAsync(dev.writ.core.json.CanonicalJson.encode(e))
                            .get();
                    ap[i] = System.nanoTime() - s;
                    last = env.compact();
                }
                Arrays.sort(sg);
                Arrays.sort(ap);
                System.out.printf(
                        "parts: sign p50 %.3f ms; append %d-byte SAE entry p50 %.3f ms%n",
                        sg[count / 2] / 1e6, last.length(), ap[count / 2] / 1e6);
            }
            // The durable log append alone (one fsync per sequential append).
            long[] appends = new long[count];
            byte[] entry = new byte[1500];
            for (int i = 0; i < count; i++) {
                long s = System.nanoTime();
                f.authz.log().append(entry);
                appends[i] = System.nanoTime() - s;
            }
            Arrays.sort(appends);
            System.out.printf(
                    "durable log append alone, %d sequential: p50 %.3f ms, p99 %.3f ms%n",
                    count, appends[count / 2] / 1e6, appends[(int) (count * 0.99)] / 1e6);
        }
    }
}
