package dev.writ.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vertical slice, checked with the OpenSSL command line as an independent client: init, serve, register an agent,
 * verify its chain, OCSP good, revoke, OCSP revoked, both CRLs list the serial.
 */
class OpenSslInteropTest {
    @TempDir
    static Path tmp;

    static TestDomain domain;

    @BeforeAll
    static void start() throws Exception {
        TestTools.ensure("openssl");
        domain = TestDomain.start(tmp.resolve("data"));
        Files.write(tmp.resolve("root.pem"), domain.getBytes("/ca/root.pem"));
        Files.write(tmp.resolve("agents.pem"), domain.getBytes("/ca/agents.pem"));
        Files.write(tmp.resolve("bundle.pem"), domain.getBytes("/trust-bundle.pem"));
    }

    @AfterAll
    static void stop() throws Exception {
        domain.close();
    }

    private static TestTools.Result openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        return TestTools.run(cmd);
    }

    private Path agentPem(String name) throws Exception {
        TestDomain.Resp r = domain.createAgent(name);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        Path p = tmp.resolve(name + ".pem");
        Files.writeString(p, r.body().path("certificate").asText());
        Files.writeString(tmp.resolve(name + ".serial"), r.body().path("serial").asText());
        return p;
    }

    @Test
    void chainVerifiesWithOpenSslOnlyWhenTheWritExtensionIsAcknowledged() throws Exception {
        Path agent = agentPem("verifier");
        String root = tmp.resolve("root.pem").toString();
        String inter = tmp.resolve("agents.pem").toString();
        // The critical scope extension makes generic validators refuse the certificate, by design.
        TestTools.Result plain = openssl("verify", "-CAfile", root, "-untrusted", inter, agent.toString());
        assertThat(plain.exit()).isNotZero();
        assertThat(plain.out()).contains("unhandled critical extension");
        TestTools.Result ok =
                openssl("verify", "-ignore_critical", "-CAfile", root, "-untrusted", inter, agent.toString());
        assertThat(ok.out()).contains(agent + ": OK");
        assertThat(ok.exit()).isZero();
        // The intermediates chain to the root as plain CAs.
        assertThat(openssl("verify", "-CAfile", root, inter).exit()).isZero();
    }

    @Test
    void certificateTextShowsSpiffeIdAndCriticalWritExtensions() throws Exception {
        Path agent = agentPem("texty");
        TestTools.Result r = openssl("x509", "-in", agent.toString(), "-noout", "-text");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).containsPattern("URI:spiffe://writ\\.local/tenant/acme/agent/[0-9a-f-]{36}");
        assertThat(r.out()).contains("Subject: CN = texty, O = acme");
        assertThat(r.out()).contains("2.25.246553221630226637593243269684017702020.1: critical");
        assertThat(r.out()).contains("X509v3 Key Usage: critical");
        assertThat(r.out()).contains("Digital Signature");
        assertThat(r.out()).contains("CA:FALSE");
        assertThat(r.out()).contains("OCSP - URI:http://127.0.0.1:7070/ocsp/agents");
        assertThat(r.out()).contains("URI:http://127.0.0.1:7070/crl/agents.crl");
        assertThat(r.out()).contains("2.25.246553221630226637593243269684017702020.3");
    }

    @Test
    void ocspGoodThenRevokedAndBothCrlsListTheSerial() throws Exception {
        Path agent = agentPem("revokee");
        String serial = Files.readString(tmp.resolve("revokee.serial"));
        String[] ocsp = {
            "ocsp",
            "-issuer",
            tmp.resolve("agents.pem").toString(),
            "-cert",
            agent.toString(),
            "-url",
            domain.base + "/ocsp/agents",
            "-CAfile",
            tmp.resolve("bundle.pem").toString(),
            "-resp_text"
        };
        TestTools.Result good = openssl(ocsp);
        assertThat(good.out()).contains(agent + ": good");
        assertThat(good.out()).contains("Response verify OK");
        assertThat(good.out()).contains("OCSP Nonce");

        TestDomain.Resp rev = domain.call(
                "DELETE", "/api/v1/certificates/" + serial + "?reason=keyCompromise", domain.adminToken, null);
        assertThat(rev.status()).as(rev.body().toString()).isEqualTo(200);

        TestTools.Result revoked = openssl(ocsp);
        assertThat(revoked.out()).contains(agent + ": revoked");
        assertThat(revoked.out()).contains("Revocation Reason: keyCompromise");

        for (String crl : List.of("agents.crl", "agents-delta.crl")) {
            Path file = tmp.resolve(crl);
            Files.write(file, domain.getBytes("/crl/" + crl));
            TestTools.Result text = openssl("crl", "-inform", "DER", "-in", file.toString(), "-noout", "-text");
            assertThat(text.exit()).as(text.out()).isZero();
            assertThat(text.out()).containsIgnoringCase(opensslSerial(serial));
            assertThat(text.out()).contains("X509v3 CRL Number");
            if (crl.contains("delta")) {
                assertThat(text.out()).contains("X509v3 Delta CRL Indicator: critical");
            }
            // The CRL verifies against the issuing CA.
            TestTools.Result verify = openssl(
                    "crl",
                    "-inform",
                    "DER",
                    "-in",
                    file.toString(),
                    "-noout",
                    "-CAfile",
                    tmp.resolve("bundle.pem").toString());
            assertThat(verify.out()).contains("verify OK");
        }
    }

    @Test
    void ocspForAnUnknownSerialIsUnknown() throws Exception {
        TestTools.Result r = openssl(
                "ocsp",
                "-issuer",
                tmp.resolve("agents.pem").toString(),
                "-serial",
                "0x1234567890abcdef",
                "-url",
                domain.base + "/ocsp/agents",
                "-CAfile",
                tmp.resolve("bundle.pem").toString());
        assertThat(r.out()).contains("0x1234567890abcdef: unknown");
    }

    /** OpenSSL prints serials as uppercase hex with an even number of digits. */
    static String opensslSerial(String hex) {
        String s = new BigInteger(hex, 16).toString(16).toUpperCase();
        return s.length() % 2 == 1 ? "0" + s : s;
    }
}
