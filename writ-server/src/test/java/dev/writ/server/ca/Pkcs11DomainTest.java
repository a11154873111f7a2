package dev.writ.server.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.TestTools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trust domain on a PKCS#11 token (SoftHSM2): ECDSA P-256 root and CAs, agent keys on the token. Runs {@code writ}
 * in child processes, each with its own SoftHSM2 configuration, so it cannot disturb other PKCS#11 tests.
 */
class Pkcs11DomainTest {
    static final String PIN = "writ-domain-user-pin-4417";

    @TempDir
    Path tmp;

    static Path library() {
        for (String c : List.of(
                "/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/local/lib/softhsm/libsofthsm2.so")) {
            if (Files.isRegularFile(Path.of(c))) {
                return Path.of(c);
            }
        }
        throw new IllegalStateException("libsofthsm2.so not found");
    }

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
        return pb;
    }

    @Test
    void initServeAndIssueOnAToken() throws Exception {
        TestTools.ensure("softhsm2-util");
        TestTools.ensure("openssl");
        Path hsm = tmp.resolve("hsm");
        ProcessBuilder token = new ProcessBuilder(
                TestToolsAccess.repoRoot().resolve("scripts/softhsm-test-token").toString(),
                hsm.toString(),
                "writ-domain");
        token.environment().put("WRIT_TOKEN_PIN", PIN);
        token.environment().put("WRIT_TOKEN_SO_PIN", "writ-domain-so-pin-7781");
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
                        library().toString(),
                        "--pkcs11-slot",
                        slot,
                        "--json")
                .redirectErrorStream(true)
                .start();
        String initOut = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(init.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(init.exitValue()).as(initOut).isZero();
        JsonNode initJson = new ObjectMapper()
                .readTree(initOut.lines()
                        .filter(l -> l.startsWith("{"))
                        .findFirst()
                        .orElseThrow());
        assertThat(initJson.path("root_algorithm").asText()).isEqualTo("EC_P256");
        assertThat(Files.readString(data.resolve("domain.json")))
                .contains("pkcs11")
                .doesNotContain(PIN);

        Process serve =
                writ(conf, "serve", "--data", data.toString(), "--port", "0").start();
        try {
            BufferedReader r =
                    new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertThat(line).contains("listening on http://127.0.0.1:");
            String base = line.substring(line.indexOf("http://"));
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> created = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/v1/agents"))
                            .header(
                                    "Authorization",
                                    "Bearer " + initJson.path("admin_token").asText())
                            .POST(HttpRequest.BodyPublishers.ofString("{\"tenant\":\"default\",\"name\":\"hsm-agent\","
                                    + "\"scope\":" + dev.writ.server.api.TestDomain.SCOPE + "}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode agent = new ObjectMapper().readTree(created.body());
            Path agentPem = tmp.resolve("agent.pem");
            Files.writeString(agentPem, agent.path("certificate").asText());
            Path root = tmp.resolve("root.pem");
            Files.writeString(
                    root,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/ca/root.pem"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body());
            Path inter = tmp.resolve("agents.pem");
            Files.writeString(
                    inter,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/ca/agents.pem"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body());
            TestTools.Result text =
                    TestTools.run(List.of("openssl", "x509", "-in", agentPem.toString(), "-noout", "-text"));
            assertThat(text.out()).contains("ecdsa-with-SHA256").contains("prime256v1");
            TestTools.Result verify = TestTools.run(List.of(
                    "openssl",
                    "verify",
                    "-ignore_critical",
                    "-CAfile",
                    root.toString(),
                    "-untrusted",
                    inter.toString(),
                    agentPem.toString()));
            assertThat(verify.out()).contains(": OK");
            TestTools.Result ocsp = TestTools.run(List.of(
                    "openssl",
                    "ocsp",
                    "-issuer",
                    inter.toString(),
                    "-cert",
                    agentPem.toString(),
                    "-url",
                    base + "/ocsp/agents",
                    "-CAfile",
                    root.toString(),
                    "-verify_other",
                    inter.toString()));
            assertThat(ocsp.out()).contains(agentPem + ": good").contains("Response verify OK");
        } finally {
            serve.destroy();
            serve.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
