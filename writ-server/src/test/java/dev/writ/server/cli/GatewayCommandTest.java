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
        assertThat(run("--mode", "bogus", "--upstream", "http://x", "--trust-bundle", b, "--revocations", "http://x")
                        .err())
                .contains("--mode must be enforce or authorize");
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
    void authorizeModeChecksItsSettingsBeforeStarting() throws Exception {
        Path routes = Files.writeString(
                dir.resolve("routes.yaml"),
                "routes:\n  - method: POST\n    path: /orders\n    action: erp.purchase_order.create\n"
                        + "    classification: internal\n    params:\n      amount: /amount\n");
        Path bad = Files.writeString(
                dir.resolve("bad.yaml"),
                "routes:\n  - method: POST\n    path: /orders\n    action: x\n    classification: internal\n"
                        + "    params:\n      amount: amount\n");
        Run noRoutes = run("--mode", "authorize", "--upstream", "http://x", "--server", "http://127.0.0.1:9");
        assertThat(noRoutes.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noRoutes.err()).contains("--routes");
        Run noServer = run("--mode", "authorize", "--upstream", "http://x", "--routes", routes.toString());
        assertThat(noServer.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noServer.err()).contains("--server");
        Run badMap = run(
                "--mode", "authorize", "--upstream", "http://x", "--routes", bad.toString(), "--server", "http://s");
        assertThat(badMap.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badMap.err()).contains("bad.yaml line 2: params.amount");
        Run missingMap = run(
                "--mode",
                "authorize",
                "--upstream",
                "http://x",
                "--routes",
                dir.resolve("absent.yaml").toString(),
                "--server",
                "http://s");
        assertThat(missingMap.exit()).isEqualTo(ExitCodes.USAGE);
        Run badServer = run(
                "--mode", "authorize", "--upstream", "http://x", "--routes", routes.toString(), "--server", "ftp://s");
        assertThat(badServer.exit()).isEqualTo(ExitCodes.USAGE);
        Run badListen = run(
                "--mode",
                "authorize",
                "--upstream",
                "http://x",
                "--routes",
                routes.toString(),
                "--server",
                "http://s",
                "--listen",
                "nope");
        assertThat(badListen.exit()).isEqualTo(ExitCodes.USAGE);
        Run enforceOption = run(
                "--mode",
                "authorize",
                "--upstream",
                "http://x",
                "--routes",
                routes.toString(),
                "--server",
                "http://s",
                "--revocations",
                "http://s");
        assertThat(enforceOption.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(enforceOption.err()).contains("enforce-mode options");
        // Enforce mode still needs its trust bundle, and refuses a route map it would not use.
        Run enforceNoBundle = run("--upstream", "http://x", "--revocations", "http://x");
        assertThat(enforceNoBundle.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(enforceNoBundle.err()).contains("--trust-bundle");
        Run enforceRoutes = run(
                "--upstream",
                "http://x",
                "--trust-bundle",
                bundle().toString(),
                "--revocations",
                "http://x",
                "--routes",
                routes.toString());
        assertThat(enforceRoutes.exit()).isEqualTo(ExitCodes.USAGE);
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
