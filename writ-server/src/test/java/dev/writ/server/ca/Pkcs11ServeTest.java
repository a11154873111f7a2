package dev.writ.server.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.NoteVerifier;
import dev.writ.server.api.TestTools;
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
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: a trust domain on a PKCS#11 token could not sign its audit log (the token's P-256 key cannot sign
 * Ed25519 signed notes), so {@code writ serve} ran without the authorize path. Now its log key is Ed25519 in the
 * software keystore beside the token, certified by the audit CA on the token: {@code writ serve} on a SoftHSM2 domain
 * authorizes, and the log's checkpoint and the receipt verify with the published key.
 */
class Pkcs11ServeTest {
    static final String PIN = "writ-serve-user-pin-2281";
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCOPE = "{\"actions\":[\"erp.*\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":1}";

    @TempDir
    Path tmp;

    final HttpClient http = HttpClient.newHttpClient();

    ProcessBuilder writ(Path conf, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.writ.server.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        pb.environment().put("WRIT_PKCS11_PIN", PIN);
        pb.environment().put("WRIT_ROOT_PASSPHRASE", "pkcs11 root passphrase");
        pb.environment().put("WRIT_LOG_LEVEL", "WARN");
        pb.environment().remove("WRIT_MASTER_KEY_FILE");
        return pb;
    }

    @Test
    void servingAPkcs11DomainAuthorizesAndItsLogVerifies() throws Exception {
        TestTools.ensure("softhsm2-util");
        Path hsm = tmp.resolve("hsm");
        ProcessBuilder token = new ProcessBuilder(
                TestToolsAccess.repoRoot().resolve("scripts/softhsm-test-token").toString(),
                hsm.toString(),
                "writ-serve");
        token.environment().put("WRIT_TOKEN_PIN", PIN);
        token.environment().put("WRIT_TOKEN_SO_PIN", "writ-serve-so-pin-6604");
        Process tp = token.start();
        String out = new String(tp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tp.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(tp.exitValue()).isZero();
        String slot = out.lines()
                .filter(l -> l.startsWith("slot="))
                .findFirst()
                .orElseThrow()
                .substring(5);
        Path conf = hsm.resolve("softhsm2.conf");
        Path data = tmp.resolve("data");

        Process init = writ(
                        conf,
                        "init",
                        "--data",
                        data.toString(),
                        "--custody",
                        "pkcs11",
                        "--pkcs11-library",
                        Pkcs11DomainTest.library().toString(),
                        "--pkcs11-slot",
                        slot,
                        "--json")
                .redirectErrorStream(true)
                .start();
        String initOut = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(init.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(init.exitValue()).as(initOut).isZero();
        String admin = JSON.readTree(initOut.lines()
                        .filter(l -> l.startsWith("{"))
                        .findFirst()
                        .orElseThrow())
                .path("admin_token")
                .asText();

        // The audit-signing leaf is Ed25519, issued by the audit CA, whose key (P-256) is on the token.
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        X509Certificate auditLeaf;
        X509Certificate auditCa;
        try (InputStream in = Files.newInputStream(data.resolve("ca/audit-signing.crt"))) {
            auditLeaf = (X509Certificate) cf.generateCertificate(in);
        }
        try (InputStream in = Files.newInputStream(data.resolve("ca/audit.crt"))) {
            auditCa = (X509Certificate) cf.generateCertificate(in);
        }
        assertThat(auditLeaf.getPublicKey().getAlgorithm()).isIn("Ed25519", "EdDSA");
        assertThat(auditCa.getPublicKey().getAlgorithm()).isEqualTo("EC");
        auditLeaf.verify(auditCa.getPublicKey());

        Process serve =
                writ(conf, "serve", "--data", data.toString(), "--port", "0").start();
        try {
            BufferedReader r =
                    new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertThat(line).contains("listening on http://127.0.0.1:");
            String base = line.substring(line.indexOf("http://"));

            // The policy control plane is mounted (it is only with a working log): push and activate.
            ObjectNode push = JSON.createObjectNode();
            ObjectNode files = push.putObject("files");
            for (String f : List.of(
                    "manifest.json",
                    "schema.cedarschema",
                    "procurement.cedar",
                    "guardrails.cedar",
                    "tests/procurement.json")) {
                try (InputStream in = Pkcs11ServeTest.class.getResourceAsStream("/bundles/procurement/" + f)) {
                    files.put(f, Base64.getEncoder().encodeToString(in.readAllBytes()));
                }
            }
            JsonNode version = call(base, "POST", "/api/v1/policies", admin, push.toString(), 201);
            call(base, "POST", "/api/v1/policies/" + version.path("version").asText() + "/activate", admin, "", 200);

            JsonNode agent = call(
                    base,
                    "POST",
                    "/api/v1/agents",
                    admin,
                    "{\"tenant\":\"default\",\"name\":\"hsm-buyer\",\"scope\":" + SCOPE + "}",
                    201);
            JsonNode allowed = call(
                    base,
                    "POST",
                    "/v1/authorize",
                    agent.path("credential").asText(),
                    "{\"action\":{\"name\":\"erp.purchase_order.create\",\"params\":{\"amount\":50000,"
                            + "\"currency\":\"EUR\",\"counterparty\":\"globex\"},\"classification\":\"internal\"},"
                            + "\"target\":\"https://erp.example\"}",
                    200);
            assertThat(allowed.path("decision").asText()).isEqualTo("allow");
            // The agent's envelope is signed on the token (ES256).
            String header = new String(
                    Base64.getUrlDecoder().decode(allowed.path("sae").asText().split("\\.")[0]),
                    StandardCharsets.UTF_8);
            assertThat(JSON.readTree(header).path("alg").asText()).isEqualTo("ES256");

            // The published key is the audit-signing certificate's key, and it verifies the checkpoint.
            NoteVerifier key = NoteVerifier.parse(text(base, "/log/key").trim());
            String[] keyParts = text(base, "/log/key").trim().split("\\+", 3);
            byte[] raw = Base64.getDecoder().decode(keyParts[2]);
            byte[] spki = auditLeaf.getPublicKey().getEncoded();
            assertThat(Arrays.copyOfRange(raw, 1, raw.length))
                    .isEqualTo(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
            byte[] note = text(base, "/log/checkpoint").getBytes(StandardCharsets.UTF_8);
            Checkpoint.Verified checkpoint = Checkpoint.verify(note, key);
            assertThat(checkpoint.checkpoint().size()).isGreaterThanOrEqualTo(3);

            // The receipt proves the envelope's entry is in the log.
            LogReceipt receipt = LogReceipt.fromJson(allowed.path("receipt"));
            JsonNode entry = call(base, "GET", "/v1/log/entries/" + receipt.index(), null, null, 200);
            assertThat(entry.path("json").path("jti").asText())
                    .isEqualTo(allowed.path("jti").asText());
            receipt.verify(Base64.getDecoder().decode(entry.path("entry").asText()), key);
        } finally {
            serve.destroy();
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    String text(String base, String path) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    JsonNode call(String base, String method, String path, String token, String body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }
}
