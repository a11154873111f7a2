package dev.writ.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.cli.ApprovalsCommand;
import dev.writ.server.cli.AuthorizeCommand;
import dev.writ.server.cli.CliError;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code writ authorize} and {@code writ approvals} against a running server. */
class AuthzCommandsTest {
    @TempDir
    static Path tmp;

    static AuthzFixture f;
    static Path credential;
    static String approver;

    @BeforeAll
    static void start() throws Exception {
        f = new AuthzFixture(tmp.resolve("data"));
        credential = tmp.resolve("agent.cred");
        Files.writeString(credential, f.agent("cli-buyer").credential());
        approver = f.operatorToken("approver");
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    record Run(int exit, String out, String err) {}

    static Run run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            c.getErr().println("writ: " + ex.getMessage());
            c.getErr().flush();
            return ex instanceof CliError e ? e.exitCode() : 1;
        });
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    List<String> po(long amount, String counterparty, String... more) {
        List<String> a = new ArrayList<>(List.of(
                "--server", f.d.base,
                "--credential-file", credential.toString(),
                "--action", "erp.purchase_order.create",
                "--target", "https://erp.example",
                "--param", "amount=" + amount,
                "--param", "currency=EUR",
                "--param", "counterparty=" + counterparty,
                "--http-method", "POST",
                "--http-url", "https://erp.example/orders",
                "--session", "cli"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void authorizeExitCodes() {
        Run allow = run(new AuthorizeCommand(), po(1000, "globex").toArray(String[]::new));
        assertThat(allow.exit()).as(allow.err()).isZero();
        assertThat(allow.out()).startsWith("allow jti=").contains("eyJ");

        Run deny = run(new AuthorizeCommand(), po(1000, "evil-corp").toArray(String[]::new));
        assertThat(deny.exit()).isEqualTo(1);
        assertThat(deny.out().strip()).isEqualTo("deny denied.policy");

        Run json = run(new AuthorizeCommand(), po(1000, "evil-corp", "--json").toArray(String[]::new));
        assertThat(json.exit()).isEqualTo(1);
        assertThat(json.out()).contains("\"decision\":\"deny\"");

        Run noCredential = run(
                new AuthorizeCommand(),
                "--server",
                f.d.base,
                "--credential-file",
                tmp.resolve("none").toString());
        assertThat(noCredential.exit()).isEqualTo(2);

        Run badServer = run(
                new AuthorizeCommand(),
                po(1000, "globex").stream()
                        .map(s -> s.equals(f.d.base) ? "http://127.0.0.1:1" : s)
                        .toArray(String[]::new));
        assertThat(badServer.exit()).isEqualTo(2);
    }

    @Test
    void pendingApproveRedeem() throws Exception {
        Run pending = run(new AuthorizeCommand(), po(2_500_000, "globex").toArray(String[]::new));
        assertThat(pending.exit()).isEqualTo(1);
        Matcher m = Pattern.compile("pending approval (apr_[A-Za-z0-9_-]+)").matcher(pending.out());
        assertThat(m.find()).as(pending.out()).isTrue();
        String id = m.group(1);

        Run list = run(new ApprovalsCommand(), "list", "--server", f.d.base, "--token", approver);
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains(id).contains("po-above-10000-needs-human");

        Run agentTries = run(
                new ApprovalsCommand(), "approve", id, "--server", f.d.base, "--token", Files.readString(credential));
        assertThat(agentTries.exit()).isEqualTo(1);

        Run approve = run(
                new ApprovalsCommand(), "approve", id, "--server", f.d.base, "--token", approver, "--comment", "ok");
        assertThat(approve.exit()).as(approve.err()).isZero();
        assertThat(approve.out()).contains(id + " approved");

        Run redeem = run(
                new AuthorizeCommand(),
                po(2_500_000, "globex", "--approval-id", id).toArray(String[]::new));
        assertThat(redeem.exit()).as(redeem.err()).isZero();
    }

    @Test
    void waitPollsUntilApproved() throws Exception {
        CompletableFuture<Run> waiting = CompletableFuture.supplyAsync(() -> run(
                new AuthorizeCommand(),
                po(2_600_000, "globex", "--wait", "--poll-interval", "100", "--wait-timeout", "60")
                        .toArray(String[]::new)));
        String id = null;
        for (int i = 0; i < 100 && id == null; i++) {
            Thread.sleep(100);
            for (var a : f.authz.approvals().list("pending", 100)) {
                if (a.request().path("action").path("params").path("amount").asLong() == 2_600_000) {
                    id = a.id();
                }
            }
        }
        assertThat(id).isNotNull();
        Run approve = run(new ApprovalsCommand(), "approve", id, "--server", f.d.base, "--token", approver);
        assertThat(approve.exit()).isZero();
        Run done = waiting.get(30, TimeUnit.SECONDS);
        assertThat(done.exit()).as(done.err()).isZero();
        assertThat(done.out()).startsWith("allow jti=");
    }
}
