package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.policy.PolicyCliFixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicyCommandTest {
    @TempDir
    Path tmp;

    private final PolicyCliFixtures.Domain domain = new PolicyCliFixtures.Domain();

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PolicyCommand(domain, InstantSource.fixed(PolicyCliFixtures.now())));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path bundle(String name, Map<String, byte[]> files) throws Exception {
        Path dir = tmp.resolve(name);
        for (var e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        return dir;
    }

    @Test
    void testRunsTheShippedCases() throws Exception {
        Path dir = bundle("ok", PolicyCliFixtures.procurement());
        Run r = run("test", dir.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).contains("PASS  tests/procurement.json: purchase order of 10,000.01 USD waits for a human");
        assertThat(r.out()).containsPattern("\\d+ passed, 0 failed");

        Run j = run("test", "--json", dir.toString());
        assertThat(j.exit()).isEqualTo(ExitCodes.OK);
        assertThat(j.json().get("failed").asInt()).isZero();
        assertThat(j.json().get("cases").size())
                .isEqualTo(j.json().get("passed").asInt());
    }

    @Test
    void aFailingCaseExitsOneAndABadBundleTwo() throws Exception {
        Map<String, byte[]> files = PolicyCliFixtures.procurement();
        files.put(
                "tests/wrong.json",
                ("{\"cases\":[{\"name\":\"wishful\",\"agent\":{\"id\":\"a\",\"tenant\":\"t\",\"name\":\"n\"},"
                                + "\"action\":{\"name\":\"payments.transfer\",\"target\":\"bank\"},"
                                + "\"expect\":{\"decision\":\"allow\"}}]}")
                        .getBytes(StandardCharsets.UTF_8));
        Run r = run("test", bundle("failing", files).toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.FALSE);
        assertThat(r.out()).contains("FAIL  tests/wrong.json: wishful (expected allow, got deny [policy.no_permit])");

        Map<String, byte[]> broken = PolicyCliFixtures.procurement();
        broken.put("broken.cedar", "permit (principal,\n  action resource);".getBytes(StandardCharsets.UTF_8));
        Run b = run("test", bundle("broken", broken).toString());
        assertThat(b.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(b.err()).startsWith("error: policy.syntax: broken.cedar:2:10: ");
        Run bj = run("test", "--json", tmp.resolve("broken").toString());
        assertThat(bj.json().at("/error/code").asText()).isEqualTo("policy.syntax");
        assertThat(run("test", tmp.resolve("missing").toString()).exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void pushListShowActivateRollback() throws Exception {
        String data = tmp.resolve("data").toString();
        Path dir = bundle("ok", PolicyCliFixtures.procurement());
        Run p1 = run("push", "--data", data, "--json", dir.toString());
        assertThat(p1.exit()).isEqualTo(ExitCodes.OK);
        String hash = p1.json().get("hash").asText();
        assertThat(hash).startsWith("sha256:");
        Map<String, byte[]> second = PolicyCliFixtures.procurement();
        second.put(
                "manifest.json",
                "{\"name\":\"procurement\",\"version\":\"1.1.0\",\"description\":\"second\"}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(run("push", "--data", data, bundle("second", second).toString())
                        .out())
                .startsWith("pushed version 2 (sha256:");

        assertThat(run("activate", "--data", data, "1").exit()).isEqualTo(ExitCodes.OK);
        assertThat(run("activate", "--data", data, "2").exit()).isEqualTo(ExitCodes.OK);
        Run list = run("list", "--data", data, "--json");
        assertThat(list.json().get("active").asLong()).isEqualTo(2);
        assertThat(list.json().get("versions").size()).isEqualTo(2);
        assertThat(run("list", "--data", data).out()).contains("*    2  procurement 1.1.0");

        Run back = run("rollback", "--data", data, "--json");
        assertThat(back.exit()).isEqualTo(ExitCodes.OK);
        assertThat(back.json().get("active").asLong()).isEqualTo(1);
        assertThat(back.json().get("hash").asText()).isEqualTo(hash);

        Run show = run("show", "--data", data, "--json", "1");
        assertThat(show.json().get("files").toString()).contains("guardrails.cedar");
        assertThat(domain.eventTypes())
                .containsExactly(
                        "policy.published",
                        "policy.published",
                        "policy.activated",
                        "policy.activated",
                        "policy.activated");

        Run unknown = run("activate", "--data", data, "--json", "9");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.json().at("/error/code").asText()).isEqualTo("policy.unknown_version");
        assertThat(run("list", "--data", data, "--json").json().get("active").asLong())
                .isEqualTo(1);
    }

    @Test
    void withoutATrustDomainPushIsRefused() throws Exception {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PolicyCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int exit = cl.execute(
                "push",
                "--data",
                tmp.resolve("d").toString(),
                bundle("ok", PolicyCliFixtures.procurement()).toString());
        assertThat(exit).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("policy.no_identity");
    }
}
