package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.WritServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code writ} command end to end: init, serve (without the root key), agent commands, token, CA ceremony. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    static synchronized Run writ(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    Path passphrase(String p) throws IOException {
        Path f = tmp.resolve("pass-" + p.hashCode());
        Files.writeString(f, p + "\n");
        return f;
    }

    static Map<String, Long> snapshot(Path dir) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p) + ":" + Files.getLastModifiedTime(p).toMillis(), Files.size(p));
            }
        }
        return m;
    }

    @Test
    void initCreatesADomainOnceAndServeRunsWithoutTheRootKey() throws Exception {
        Path data = tmp.resolve("data");
        String pass = passphrase("a long root passphrase").toString();
        Run init = writ("init", "--data", data.toString(), "--root-passphrase-file", pass, "--json");
        assertThat(init.exit()).as(init.err()).isZero();
        JsonNode out = JSON.readTree(init.out());
        String admin = out.path("admin_token").asText();
        assertThat(admin).startsWith("writ_op_");
        assertThat(data.resolve("domain.json")).exists();
        String domainJson = Files.readString(data.resolve("domain.json"));
        assertThat(domainJson).doesNotContain(admin).contains("\"trustDomain\" : \"writ.local\"");
        assertThat(data.resolve("root/root-key.p8")).exists();

        // A second init refuses and changes nothing.
        Map<String, Long> before = snapshot(data);
        Run again = writ("init", "--data", data.toString(), "--root-passphrase-file", pass);
        assertThat(again.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err().strip())
                .startsWith("writ: a trust domain already exists")
                .doesNotContain("\n");
        assertThat(snapshot(data)).isEqualTo(before);

        // writ serve never opens the sealed root: move it away and serve anyway.
        Path away = tmp.resolve("root-key.p8");
        Files.move(data.resolve("root/root-key.p8"), away, StandardCopyOption.ATOMIC_MOVE);
        CompletableFuture<WritServer> started = new CompletableFuture<>();
        ServeCommand.customizer((rt, server) ->
                CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> started.complete(server)));
        CompletableFuture<Run> serving = CompletableFuture.supplyAsync(() -> writServe(data));
        WritServer server = started.get(30, TimeUnit.SECONDS);
        try {
            String url = "http://127.0.0.1:" + server.port();
            awaitHealthy(url);
            Path scope = tmp.resolve("scope.json");
            Files.writeString(
                    scope,
                    "{\"actions\":[\"*\"],\"limits\":{\"EUR\":500},\"counterparties\":[\"*\"],\"regions\":[\"*\"],"
                            + "\"hours\":\"*\",\"classification\":\"internal\",\"delegation\":0}");
            Run created = writ(
                    "agent",
                    "create",
                    "--server",
                    url,
                    "--token",
                    admin,
                    "--tenant",
                    "default",
                    "--name",
                    "cli-agent",
                    "--scope",
                    "@" + scope,
                    "--json");
            assertThat(created.exit()).as(created.err()).isZero();
            JsonNode agent = JSON.readTree(created.out());
            String id = agent.path("agent_id").asText();

            Run list = writ("agent", "list", "--server", url, "--token", admin);
            assertThat(list.out()).contains(id).contains("cli-agent");
            Run show = writ("agent", "show", id, "--server", url, "--token", admin, "--json");
            assertThat(JSON.readTree(show.out()).path("status").asText()).isEqualTo("active");
            Run rotated = writ("agent", "rotate", id, "--server", url, "--token", admin, "--json");
            assertThat(rotated.exit()).isZero();
            String serial = JSON.readTree(rotated.out()).path("serial").asText();
            Run revoked =
                    writ("agent", "revoke", serial, "--reason", "keyCompromise", "--server", url, "--token", admin);
            assertThat(revoked.exit()).isZero();
            assertThat(revoked.out()).contains("revoked " + serial);

            // Refusals: one line, the right exit code.
            Run denied = writ("agent", "list", "--server", url, "--token", "writ_op_nope");
            assertThat(denied.exit()).isEqualTo(1);
            assertThat(denied.err().strip()).isEqualTo("writ: invalid bearer token (auth.invalid)");
            Run bad = writ(
                    "agent",
                    "create",
                    "--server",
                    url,
                    "--token",
                    admin,
                    "--tenant",
                    "default",
                    "--name",
                    "x",
                    "--scope",
                    "{}");
            assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(bad.err()).contains("scope.empty").doesNotContain("Exception");
            Run noServer = writ("agent", "list", "--token", admin);
            assertThat(noServer.exit()).isEqualTo(ExitCodes.USAGE);

            // A token made on the data directory works against the running server.
            Run token = writ("token", "create", "--data", data.toString(), "--role", "auditor", "--json");
            String auditor = JSON.readTree(token.out()).path("token").asText();
            assertThat(writ("agent", "list", "--server", url, "--token", auditor)
                            .exit())
                    .isZero();
            assertThat(writ(
                                    "agent",
                                    "create",
                                    "--server",
                                    url,
                                    "--token",
                                    auditor,
                                    "--tenant",
                                    "default",
                                    "--name",
                                    "x",
                                    "--scope",
                                    "@" + scope)
                            .exit())
                    .isEqualTo(1);
        } finally {
            server.stop();
        }
        assertThat(serving.get(30, TimeUnit.SECONDS).exit()).isZero();
        assertThat(data.resolve("root/root-key.p8")).doesNotExist();

        // The CA ceremony needs the root: with it back and the right passphrase it re-issues an intermediate.
        Files.move(away, data.resolve("root/root-key.p8"));
        String oldAgents = Files.readString(data.resolve("ca/agents.crt"));
        Run wrong = writ(
                "ca",
                "reissue",
                "agents",
                "--data",
                data.toString(),
                "--root-passphrase-file",
                passphrase("not the passphrase").toString());
        assertThat(wrong.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(wrong.err()).contains("passphrase does not open");
        assertThat(Files.readString(data.resolve("ca/agents.crt"))).isEqualTo(oldAgents);
        Run reissue = writ("ca", "reissue", "agents", "--data", data.toString(), "--root-passphrase-file", pass);
        assertThat(reissue.exit()).as(reissue.err()).isZero();
        assertThat(Files.readString(data.resolve("ca/agents.crt"))).isNotEqualTo(oldAgents);
        assertThat(writ("ca", "reissue", "root", "--data", data.toString(), "--root-passphrase-file", pass)
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void usageErrorsAreOneLineWithExitCodeTwo() throws Exception {
        Run r = writ(
                "init",
                "--data",
                tmp.resolve("d").toString(),
                "--custody",
                "cloud",
                "--root-passphrase-file",
                passphrase("long enough pass").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("writ: --custody must be software or pkcs11");
        assertThat(tmp.resolve("d")).doesNotExist();
        Run weak = writ(
                "init",
                "--data",
                tmp.resolve("w").toString(),
                "--root-passphrase-file",
                passphrase("short").toString());
        assertThat(weak.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(weak.err()).contains("at least 8 characters");
        assertThat(tmp.resolve("w/domain.json")).doesNotExist();
        Run unknown = writ("agent", "frobnicate");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(writ("token", "create", "--data", tmp.resolve("none").toString(), "--role", "god")
                        .exit())
                .isEqualTo(ExitCodes.USAGE);
    }

    private static Run writServe(Path data) {
        // Not through writ(): it must not hold the stdout lock while other commands run.
        int code = Main.commandLine().execute("serve", "--data", data.toString(), "--port", "0");
        return new Run(code, "", "");
    }

    private static void awaitHealthy(String url) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 100; i++) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(url + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("server did not become healthy");
    }
}
