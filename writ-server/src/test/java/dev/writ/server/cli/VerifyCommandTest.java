package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.sae.TestEnvelope;
import dev.writ.core.sae.TestPki;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VerifyCommandTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final TestPki PKI = new TestPki(T0);
    static final TestPki.Issued AGENT = PKI.agent().issue();

    @TempDir
    static Path dir;

    static Path bundle;
    static Path envelope;
    static String compact;

    @BeforeAll
    static void write() throws Exception {
        bundle = dir.resolve("trust-bundle.pem");
        Files.writeString(bundle, pem(PKI.root.der()));
        compact = TestEnvelope.standard(PKI, AGENT, T0, PKI.ocspGood(AGENT, T0)).sign(AGENT.privateKey());
        envelope = dir.resolve("envelope.jws");
        Files.writeString(envelope, compact + "\n");
    }

    static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END CERTIFICATE-----\n";
    }

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new VerifyCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aValidEnvelopeExitsZero() {
        Run r = run(envelope.toString(), "--trust-bundle", bundle.toString(), "--at", "2026-03-02T10:00:05Z");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).startsWith("valid: payments.transfer").contains("spiffe://writ.test/tenant/acme/agent/a-1");
    }

    @Test
    void jsonOutputAndEpochSeconds() throws Exception {
        Run r = run(
                envelope.toString(),
                "--trust-bundle",
                bundle.toString(),
                "--at",
                String.valueOf(T0.getEpochSecond() + 5),
                "--json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(r.exit()).isZero();
        assertThat(j.get("valid").booleanValue()).isTrue();
        assertThat(j.get("action").textValue()).isEqualTo("payments.transfer");
        assertThat(j.get("claims").get("jti").textValue())
                .isEqualTo(j.get("jti").textValue());
    }

    @Test
    void anExpiredEnvelopeExitsOneWithItsReason() throws Exception {
        Run r = run(envelope.toString(), "--trust-bundle", bundle.toString(), "--at", "2026-03-02T11:00:00Z");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).startsWith("invalid: sae.expired");
        Run j = run(envelope.toString(), "--trust-bundle", bundle.toString(), "--at", "2026-03-02T11:00:00Z", "--json");
        assertThat(new ObjectMapper().readTree(j.out()).get("reason").textValue())
                .isEqualTo("sae.expired");
    }

    @Test
    void anotherTrustBundleExitsOne() throws Exception {
        Path other = dir.resolve("other.pem");
        Files.writeString(other, pem(TestPki.other(T0).root.der()));
        Run r = run(envelope.toString(), "--trust-bundle", other.toString(), "--at", "2026-03-02T10:00:05Z");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("sae.chain");
    }

    @Test
    void requestBindingAndReplayJournal() throws Exception {
        Path body = dir.resolve("body.json");
        Files.write(body, TestEnvelope.body());
        Path journal = dir.resolve("nonces.journal");
        String[] args = {
            envelope.toString(),
            "--trust-bundle",
            bundle.toString(),
            "--at",
            "2026-03-02T10:00:05Z",
            "--method",
            "POST",
            "--url",
            "https://api.bank.test/v1/transfers",
            "--body",
            body.toString(),
            "--nonce-journal",
            journal.toString()
        };
        assertThat(run(args).exit()).isZero();
        Run again = run(args);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.out()).contains("sae.replay");
        Run wrongUrl = run(
                envelope.toString(),
                "--trust-bundle",
                bundle.toString(),
                "--at",
                "2026-03-02T10:00:05Z",
                "--method",
                "POST",
                "--url",
                "https://api.bank.test/v1/other",
                "--body",
                body.toString());
        assertThat(wrongUrl.out()).contains("sae.binding.url");
    }

    @Test
    void readsStandardInput() {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(compact.getBytes()));
            Run r = run("-", "--trust-bundle", bundle.toString(), "--at", "2026-03-02T10:00:05Z");
            assertThat(r.exit()).isZero();
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void usageAndInputErrorsExitTwo() throws Exception {
        assertThat(run(envelope.toString()).exit()).isEqualTo(2); // --trust-bundle missing
        assertThat(run(
                                envelope.toString(),
                                "--trust-bundle",
                                dir.resolve("nope.pem").toString())
                        .exit())
                .isEqualTo(2);
        assertThat(run(envelope.toString(), "--trust-bundle", bundle.toString(), "--at", "yesterday")
                        .exit())
                .isEqualTo(2);
        assertThat(run(dir.resolve("missing.jws").toString(), "--trust-bundle", bundle.toString())
                        .exit())
                .isEqualTo(2);
        Path notPem = dir.resolve("not.pem");
        Files.writeString(notPem, "hello");
        assertThat(run(envelope.toString(), "--trust-bundle", notPem.toString()).exit())
                .isEqualTo(2);
        assertThat(run(envelope.toString(), "--trust-bundle", bundle.toString(), "--method", "POST")
                        .exit())
                .isEqualTo(2);
    }
}
