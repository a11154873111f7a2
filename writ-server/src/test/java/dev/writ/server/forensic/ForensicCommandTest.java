package dev.writ.server.forensic;

import static dev.writ.server.forensic.ForensicFixture.jti;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.server.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** {@code writ forensic} and {@code writ bundle verify} end to end, with the exit codes of DESIGN §8. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForensicCommandTest {
    @TempDir
    static Path tmp;

    static ForensicFixture f;
    static Path trustBundle;

    record Run(int exit, String out, String err) {}

    static Run writ(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(o, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(e, true, StandardCharsets.UTF_8));
        int code = cl.execute(args);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void start() throws Exception {
        f = new ForensicFixture(tmp.resolve("domain"));
        trustBundle = f.trustBundle(tmp);
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    @Order(1)
    void forensicAgainstAServerPrintsTheTreeAndWritesABundleThatVerifiesOffline() throws Exception {
        Path out = tmp.resolve("evidence.zip");
        Run r = writ("forensic", jti(f.sae2), "--server", f.d.base, "--token", f.auditor, "--bundle", out.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out())
                .contains("Chain of custody of " + jti(f.sae2))
                .contains("└─ ✓ sae " + jti(f.sae1))
                .contains("policy procurement 1.0.0 (version 1)")
                .contains("Denials in the same session:")
                .contains("unlisted-counterparty")
                .contains("✓ every check passed")
                .doesNotContain("writ_op_");
        assertThat(out).exists();

        Run json = writ("forensic", jti(f.sae2), "--server", f.d.base, "--token", f.auditor, "--json");
        assertThat(json.exit()).isZero();
        JsonNode doc = ForensicFixture.JSON.readTree(json.out());
        assertThat(doc.path("ok").asBoolean()).isTrue();
        assertThat(doc.path("nodes")).hasSize(3);

        Run verify = writ("bundle", "verify", out.toString(), "--trust-bundle", trustBundle.toString());
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.out())
                .startsWith("valid: evidence for " + jti(f.sae2))
                .contains("2 envelopes, 1 denials");
        Run verifyJson = writ("bundle", "verify", out.toString(), "--trust-bundle", trustBundle.toString(), "--json");
        assertThat(ForensicFixture.JSON.readTree(verifyJson.out()).path("valid").asBoolean())
                .isTrue();
    }

    @Test
    @Order(2)
    void aTamperedBundleOrAnotherDomainIsInvalidAndSaysWhy() throws Exception {
        byte[] zip = f.bundle(jti(f.sae2));
        Map<String, byte[]> files = ForensicTest.unzip(zip);
        String envelope = "envelopes/" + jti(f.sae1) + ".jws";
        files.get(envelope)[10] ^= 0x20;
        Path bad = tmp.resolve("tampered.zip");
        Files.write(bad, ForensicTest.zip(files));
        Run r = writ("bundle", "verify", bad.toString(), "--trust-bundle", trustBundle.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("evidence.file_hash").contains(envelope);
        Run json = writ("bundle", "verify", bad.toString(), "--trust-bundle", trustBundle.toString(), "--json");
        JsonNode doc = ForensicFixture.JSON.readTree(json.out());
        assertThat(doc.path("valid").asBoolean()).isFalse();
        assertThat(doc.path("file").asText()).isEqualTo(envelope);

        Path good = tmp.resolve("good.zip");
        Files.write(good, zip);
        Path other = ForensicFixture.otherDomain(tmp.resolve("other"), "elsewhere.example");
        Run foreign = writ("bundle", "verify", good.toString(), "--trust-bundle", other.toString());
        assertThat(foreign.exit()).isEqualTo(1);
        assertThat(foreign.err())
                .contains("evidence.domain")
                .contains("writ.local")
                .contains("elsewhere.example");
    }

    @Test
    @Order(3)
    void inputErrorsExitTwoAndABrokenChainExitsOne() throws Exception {
        Run unknown = writ("forensic", "AAAAAAAAAAAAAAAAAAAAAA", "--server", f.d.base, "--token", f.auditor);
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("forensic.unknown_jti");
        assertThat(writ("forensic", "bad jti", "--server", f.d.base, "--token", f.auditor)
                        .exit())
                .isEqualTo(2);
        assertThat(writ(
                                "bundle",
                                "verify",
                                tmp.resolve("absent.zip").toString(),
                                "--trust-bundle",
                                trustBundle.toString())
                        .exit())
                .isEqualTo(2);
        Path good = tmp.resolve("g2.zip");
        Files.write(good, f.bundle(jti(f.sae1)));
        assertThat(writ(
                                "bundle",
                                "verify",
                                good.toString(),
                                "--trust-bundle",
                                tmp.resolve("none.pem").toString())
                        .exit())
                .isEqualTo(2);
        assertThat(writ("bundle", "verify", good.toString()).exit()).isEqualTo(2);
        Run agent = writ("forensic", jti(f.sae2), "--server", f.d.base, "--token", f.credential);
        assertThat(agent.exit()).isEqualTo(1);
        assertThat(agent.err()).contains("auth.agent_forbidden");

        String ghost = "sha256:" + "cd".repeat(32);
        String orphan = f.allow(ForensicFixture.budget("s-cli-orphan", List.of(ghost)));
        Run broken = writ("forensic", jti(orphan), "--server", f.d.base, "--token", f.auditor);
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.out()).contains("✗ missing parent " + ghost);
        assertThat(broken.err()).contains("evidence.parent_missing").contains(ghost);
    }

    @Test
    @Order(4)
    void forensicOnADataDirectoryWorksOnceTheServerHasFlushedItsLog() throws Exception {
        String subject = jti(f.sae2);
        Path data = f.d.dir;
        f.close(); // the log is flushed and its checkpoint written at close
        f = null;
        Path out = tmp.resolve("local.zip");
        Run r = writ("forensic", subject, "--data", data.toString(), "--bundle", out.toString(), "--json");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(ForensicFixture.JSON.readTree(r.out()).path("nodes")).hasSize(3);
        Run verify = writ("bundle", "verify", out.toString(), "--trust-bundle", trustBundle.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(writ("forensic", "AAAAAAAAAAAAAAAAAAAAAA", "--data", data.toString())
                        .exit())
                .isEqualTo(2);
        assertThat(writ(
                                "forensic",
                                "AAAAAAAAAAAAAAAAAAAAAA",
                                "--data",
                                tmp.resolve("nothing").toString())
                        .exit())
                .isEqualTo(2);
    }
}
