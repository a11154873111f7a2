package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.core.sae.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code writ gateway}'s argument handling: what it refuses to start with. */
class GatewayCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String err) {}

    Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new GatewayCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int exit = cl.execute(args);
        return new Run(exit, err.toString());
    }

    Path bundle() throws Exception {
        TestPki pki = new TestPki(Instant.now());
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pki.root.der())
                + "\n-----END CERTIFICATE-----\n";
        Path p = dir.resolve("trust.pem");
        Files.writeString(p, pem);
        return p;
    }

    @Test
    void refusesToRunWithoutARevocationStream() throws Exception {
        Run r = run(
                "--upstream", "http://127.0.0.1:9", "--trust-bundle", bundle().toString(), "--data", dir.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--revocations");
    }

    @Test
    void refusesAnUnknownModeAnEmptyBundleAndABadListenAddress() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        String b = bundle().toString();
        assertThat(run("--mode", "authorize", "--upstream", "http://x", "--trust-bundle", b)
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("--upstream", "http://x", "--trust-bundle", empty.toString(), "--revocations", "http://x")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("--upstream", "http://x", "--trust-bundle", b, "--revocations", "http://x", "--listen", "nope")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("--upstream", "http://x").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("--upstream", "ftp://x", "--trust-bundle", b, "--revocations", "http://x")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("--upstream", "http://x", "--trust-bundle", b, "--revocations", "http://x", "--skew", "1h")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void durations() {
        var c = new GatewayCommand.DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.convert("PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.convert("7")).isEqualTo(Duration.ofSeconds(7));
    }
}
