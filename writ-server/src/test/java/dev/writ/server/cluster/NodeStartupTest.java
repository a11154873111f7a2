package dev.writ.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.api.WritServer;
import dev.writ.server.cli.Main;
import dev.writ.server.cli.ServeCommand;
import dev.writ.server.redis.RedisServer;
import dev.writ.server.store.postgres.PostgresFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node refuses to start half-connected: an unreachable PostgreSQL or Redis, a database without a trust domain, or a
 * second {@code writ init} on one database each end in one line on stderr with the documented exit code and without
 * the password. Once running, {@code /readyz} follows the backends.
 */
class NodeStartupTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "hunter2-not-for-logs";

    @TempDir
    Path tmp;

    @AfterEach
    void resetCustomizer() {
        ServeCommand.customizer((rt, server) -> {});
    }

    private Path passwordFile(String password) throws Exception {
        Path f = tmp.resolve("pw-" + System.nanoTime());
        Files.writeString(f, password);
        return f;
    }

    private static String uri(PostgresFixture.Database db) {
        return "postgresql://" + db.user() + "@" + db.host() + ":" + db.port() + "/" + db.name();
    }

    private Cli.Run init(PostgresFixture.Database db, Path data) throws Exception {
        Path pass = tmp.resolve("root-pass");
        Files.writeString(pass, "a long root passphrase\n");
        return Cli.writ(
                "init",
                "--data",
                data.toString(),
                "--db",
                uri(db),
                "--db-password-file",
                passwordFile(db.password()).toString(),
                "--root-passphrase-file",
                pass.toString(),
                "--json");
    }

    @Test
    void anUnreachablePostgresIsOneLineExitOneWithoutThePassword() throws Exception {
        int closed = RedisServer.freePort();
        long start = System.nanoTime();
        Cli.Run r = Cli.writ(
                "serve",
                "--data",
                tmp.resolve("data").toString(),
                "--db",
                "postgresql://writ@127.0.0.1:" + closed + "/writ",
                "--db-password-file",
                passwordFile(SECRET).toString(),
                "--port",
                "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("writ: cannot connect to PostgreSQL at 127.0.0.1:" + closed + "/writ");
        assertThat(r.err() + r.out()).doesNotContain(SECRET);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(15);
    }

    @Test
    void aDatabaseWithoutATrustDomainIsAUsageError() throws Exception {
        PostgresFixture.Database db = PostgresFixture.newDatabase();
        Cli.Run r = Cli.writ(
                "serve",
                "--data",
                tmp.resolve("data").toString(),
                "--db",
                uri(db),
                "--db-password-file",
                passwordFile(db.password()).toString(),
                "--port",
                "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err())
                .startsWith("writ: no trust domain in PostgreSQL at ")
                .contains("writ init --db");
        assertThat(r.err()).doesNotContain(db.password());
    }

    @Test
    void anUnreachableRedisIsOneLineExitOneAndASecondInitIsRefused() throws Exception {
        PostgresFixture.Database db = PostgresFixture.newDatabase();
        Cli.Run first = init(db, tmp.resolve("a"));
        assertThat(first.exit()).as(first.err()).isZero();
        Cli.Run second = init(db, tmp.resolve("b"));
        assertThat(second.exit()).isEqualTo(2);
        assertThat(second.err()).startsWith("writ: a trust domain already exists in PostgreSQL at ");
        Cli.Run withRedis = Cli.writ("init", "--data", tmp.resolve("c").toString(), "--redis", "redis://127.0.0.1:9");
        assertThat(withRedis.exit()).isEqualTo(2);
        assertThat(withRedis.err()).contains("writ init does not use Redis");

        int closed = RedisServer.freePort();
        Cli.Run r = Cli.writ(
                "serve",
                "--data",
                tmp.resolve("node").toString(),
                "--db",
                uri(db),
                "--db-password-file",
                passwordFile(db.password()).toString(),
                "--redis",
                "redis://127.0.0.1:" + closed,
                "--port",
                "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("writ: cannot connect to Redis at 127.0.0.1:" + closed);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain(db.password());

        // An enforcing gateway whose shared nonce store is unreachable does not start either (it would have to deny
        // every envelope), and without a trust domain name it cannot know whose nonces to share.
        String bundle = tmp.resolve("a/ca/root.crt").toString();
        Cli.Run gateway = Cli.writ(
                "gateway",
                "--upstream",
                "http://127.0.0.1:9",
                "--trust-bundle",
                bundle,
                "--revocations",
                "http://127.0.0.1:9",
                "--listen",
                "127.0.0.1:0",
                "--redis",
                "redis://127.0.0.1:" + closed,
                "--trust-domain",
                "writ.local");
        assertThat(gateway.exit()).isEqualTo(1);
        assertThat(gateway.err().strip()).startsWith("writ gateway: cannot connect to Redis at 127.0.0.1:" + closed);
        Cli.Run anonymous = Cli.writ(
                "gateway",
                "--upstream",
                "http://127.0.0.1:9",
                "--trust-bundle",
                bundle,
                "--revocations",
                "http://127.0.0.1:9",
                "--listen",
                "127.0.0.1:0",
                "--redis",
                "redis://127.0.0.1:" + closed,
                "--data",
                tmp.resolve("empty").toString());
        assertThat(anonymous.exit()).isEqualTo(2);
        assertThat(anonymous.err()).contains("--redis needs --trust-domain");
        Cli.Run secret = Cli.writ(
                "gateway",
                "--upstream",
                "http://127.0.0.1:9",
                "--trust-bundle",
                bundle,
                "--revocations",
                "http://127.0.0.1:9",
                "--redis",
                "redis://:" + SECRET + "@127.0.0.1:" + closed);
        assertThat(secret.exit()).isEqualTo(2);
        assertThat(secret.err()).contains("--redis must not carry a password").doesNotContain(SECRET);
    }

    @Test
    void readinessNamesEachCheckAndFailsWhenRedisGoesAway() throws Exception {
        PostgresFixture.Database db = PostgresFixture.newDatabase();
        assertThat(init(db, tmp.resolve("a")).exit()).isZero();
        RedisServer redis = RedisServer.start();
        Path node = tmp.resolve("node");
        Files.createDirectories(node);
        Files.copy(tmp.resolve("a/master.key"), node.resolve("master.key"));
        CompletableFuture<WritServer> started = new CompletableFuture<>();
        ServeCommand.customizer((rt, server) ->
                CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(() -> started.complete(server)));
        String pw = passwordFile(db.password()).toString();
        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.commandLine()
                .execute(
                        "serve",
                        "--data",
                        node.toString(),
                        "--db",
                        uri(db),
                        "--db-password-file",
                        pw,
                        "--redis",
                        redis.uri(),
                        "--port",
                        "0"));
        WritServer server;
        try {
            server = started.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            redis.close();
            throw new AssertionError("serve exited with " + serving.getNow(null), e);
        }
        HttpClient http = HttpClient.newHttpClient();
        String url = "http://127.0.0.1:" + server.port() + "/readyz";
        try {
            HttpResponse<String> ready =
                    http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("ready");
            assertThat(body.path("checks").toString())
                    .isEqualTo("{\"postgresql\":\"ok\",\"redis\":\"ok\",\"log\":\"ok\"}");

            redis.close();
            HttpResponse<String> notReady =
                    http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(notReady.statusCode()).isEqualTo(503);
            JsonNode failed = JSON.readTree(notReady.body());
            assertThat(failed.path("status").asText()).isEqualTo("not_ready");
            assertThat(failed.path("checks").path("redis").asText()).isEqualTo("failed");
            assertThat(failed.path("checks").path("postgresql").asText()).isEqualTo("ok");
            assertThat(failed.path("error").path("code").asText()).isEqualTo("server.not_ready");
            assertThat(notReady.body()).doesNotContain(db.password());
        } finally {
            redis.close();
            server.stop();
            assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();
        }
    }
}
