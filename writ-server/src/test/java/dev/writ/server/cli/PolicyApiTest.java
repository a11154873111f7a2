package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.TestDomain;
import dev.writ.server.authz.AuthzRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy control plane of {@code writ serve}: push, list, show, activate over HTTP, with refusals that leave the
 * active policy unchanged, and every trust-critical event (policy and certificate lifecycle) in the audit log.
 */
class PolicyApiTest {
    static final Path BUNDLE =
            Path.of(System.getProperty("writ.repo.root"), "writ-server/src/main/resources/bundles/procurement");

    @TempDir
    Path tmp;

    static String bundleJson(String extraFile, String extraContent) throws Exception {
        ObjectNode body = TestDomain.JSON.createObjectNode();
        ObjectNode files = body.putObject("files");
        try (Stream<Path> s = Files.walk(BUNDLE)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                files.put(
                        BUNDLE.relativize(p).toString().replace('\\', '/'),
                        Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
            }
        }
        if (extraFile != null) {
            files.put(extraFile, Base64.getEncoder().encodeToString(extraContent.getBytes()));
        }
        return body.toString();
    }

    @Test
    void pushListShowActivateOverHttpAndEverythingIsLogged() throws Exception {
        try (TestDomain d = TestDomain.start(tmp.resolve("data"));
                ServerWiring wiring = ServerWiring.open(d.runtime, AuthzRuntime.Options.defaults())) {
            wiring.mountOn(d.server);

            TestDomain.Resp pushed = d.call("POST", "/api/v1/policies", d.adminToken, bundleJson(null, null));
            assertThat(pushed.status()).as(pushed.body().toString()).isEqualTo(201);
            assertThat(pushed.body().path("version").asLong()).isEqualTo(1);
            String hash = pushed.body().path("hash").asText();
            assertThat(hash).startsWith("sha256:");

            TestDomain.Resp list = d.call("GET", "/api/v1/policies", d.adminToken, null);
            assertThat(list.body().path("active").isNull()).isTrue();
            assertThat(list.body().path("versions")).hasSize(1);

            TestDomain.Resp activated = d.call("POST", "/api/v1/policies/1/activate", d.adminToken, "{}");
            assertThat(activated.status()).as(activated.body().toString()).isEqualTo(200);
            assertThat(activated.body().path("hash").asText()).isEqualTo(hash);
            assertThat(wiring.authz().orElseThrow().pdp().activeHash()).contains(hash);

            TestDomain.Resp shown = d.call("GET", "/api/v1/policies/1", d.adminToken, null);
            assertThat(shown.body().path("active").asBoolean()).isTrue();
            assertThat(shown.body().path("files").has("guardrails.cedar")).isTrue();
            assertThat(shown.body().path("statement").asText()).contains(".");

            // Refusals: each a stable code, the active version unchanged.
            TestDomain.Resp broken =
                    d.call("POST", "/api/v1/policies", d.adminToken, bundleJson("extra.cedar", "permit (principal,"));
            assertThat(broken.status()).isEqualTo(400);
            assertThat(broken.errorCode()).isEqualTo("policy.syntax");
            assertThat(d.call("POST", "/api/v1/policies/9/activate", d.adminToken, "{}")
                            .errorCode())
                    .isEqualTo("policy.unknown_version");
            assertThat(d.call("POST", "/api/v1/policies/x/activate", d.adminToken, "{}")
                            .errorCode())
                    .isEqualTo("policy.version_invalid");
            assertThat(d.call("POST", "/api/v1/policies", null, bundleJson(null, null))
                            .status())
                    .isEqualTo(401);
            String agentCredential =
                    d.createAgent("pusher").body().path("credential").asText();
            TestDomain.Resp asAgent = d.call("POST", "/api/v1/policies", agentCredential, bundleJson(null, null));
            assertThat(asAgent.status()).isEqualTo(403);
            assertThat(d.call("GET", "/api/v1/policies", d.adminToken, null)
                            .body()
                            .path("active")
                            .asLong())
                    .isEqualTo(1);
            assertThat(d.call("GET", "/api/v1/policies", d.adminToken, null)
                            .body()
                            .path("versions"))
                    .hasSize(1);

            // The audit log holds the policy events and, relayed from the outbox, the certificate issuance.
            List<String> types = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                types.clear();
                var log = wiring.authz().orElseThrow().log();
                for (long i = 0; i < log.size(); i++) {
                    JsonNode e = TestDomain.JSON.readTree(log.entry(i));
                    types.add(e.path("type").asText());
                }
                if (types.contains("cert.issued")) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(types).contains("policy.published", "policy.activated", "cert.issued");
        }
    }
}
