package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a node's settings come from: flags over environment over config file over defaults; secrets never shown. */
class NodeConfigTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsWithoutAnything() {
        NodeConfig c = NodeConfig.resolve(new NodeConfig.Flags(), null, Map.of());
        assertThat(c.db()).isNull();
        assertThat(c.redis()).isNull();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7070);
        assertThat(c.poolSize()).isEqualTo(10);
        assertThat(c.publicUrl()).isNull();
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile() throws Exception {
        Path file = tmp.resolve("writ.yaml");
        Files.writeString(
                file,
                """
                db: postgresql://file@db-file:5432/writ
                redis: redis://redis-file:6379
                port: 7001
                host: 0.0.0.0
                db-pool-size: 4
                public-url: https://file.example
                """);
        NodeConfig.Flags flags = new NodeConfig.Flags();
        flags.config = file;
        NodeConfig fileOnly = NodeConfig.resolve(flags, null, Map.of());
        assertThat(fileOnly.db()).isEqualTo("postgresql://file@db-file:5432/writ");
        assertThat(fileOnly.port()).isEqualTo(7001);
        assertThat(fileOnly.host()).isEqualTo("0.0.0.0");
        assertThat(fileOnly.poolSize()).isEqualTo(4);
        assertThat(fileOnly.publicUrl()).isEqualTo("https://file.example");

        Map<String, String> env = Map.of(
                "WRIT_DB", "postgresql://env@db-env:5432/writ", "WRIT_PORT", "7002", "WRIT_REDIS", "redis://env:6379");
        NodeConfig fromEnv = NodeConfig.resolve(flags, null, env);
        assertThat(fromEnv.db()).isEqualTo("postgresql://env@db-env:5432/writ");
        assertThat(fromEnv.redis()).isEqualTo("redis://env:6379");
        assertThat(fromEnv.port()).isEqualTo(7002);
        assertThat(fromEnv.host()).isEqualTo("0.0.0.0");

        flags.db = "postgresql://flag@db-flag:5432/writ";
        Map<String, Object> listener = new HashMap<>();
        listener.put("port", 7003);
        listener.put("host", null);
        NodeConfig fromFlags = NodeConfig.resolve(flags, listener, env);
        assertThat(fromFlags.db()).isEqualTo("postgresql://flag@db-flag:5432/writ");
        assertThat(fromFlags.port()).isEqualTo(7003);
        assertThat(fromFlags.redis()).isEqualTo("redis://env:6379");
        assertThat(fromFlags.host()).isEqualTo("0.0.0.0");
    }

    @Test
    void theConfigFileComesFromTheEnvironmentToo() throws Exception {
        Path file = tmp.resolve("writ.yaml");
        Files.writeString(file, "port: 7010\n");
        assertThat(NodeConfig.resolve(new NodeConfig.Flags(), null, Map.of("WRIT_CONFIG", file.toString()))
                        .port())
                .isEqualTo(7010);
    }

    @Test
    void anUnknownOrMalformedSettingIsRefused() throws Exception {
        Path file = tmp.resolve("writ.yaml");
        Files.writeString(file, "databse: postgresql://x@h/d\n");
        NodeConfig.Flags flags = new NodeConfig.Flags();
        flags.config = file;
        assertThatThrownBy(() -> NodeConfig.resolve(flags, null, Map.of()))
                .isInstanceOf(CliError.class)
                .hasMessageContaining("unknown key databse")
                .satisfies(e -> assertThat(((CliError) e).exitCode()).isEqualTo(ExitCodes.USAGE));
        Files.writeString(file, "- a list\n");
        assertThatThrownBy(() -> NodeConfig.resolve(flags, null, Map.of())).hasMessageContaining("mapping");
        flags.config = tmp.resolve("missing.yaml");
        assertThatThrownBy(() -> NodeConfig.resolve(flags, null, Map.of())).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> NodeConfig.resolve(new NodeConfig.Flags(), null, Map.of("WRIT_PORT", "seventy")))
                .hasMessageContaining("port must be a number");
        assertThatThrownBy(() -> NodeConfig.resolve(new NodeConfig.Flags(), null, Map.of("WRIT_DB", "mysql://h/d")))
                .hasMessageContaining("postgresql://");
        assertThatThrownBy(() -> NodeConfig.resolve(new NodeConfig.Flags(), null, Map.of("WRIT_REDIS", "http://h")))
                .hasMessageContaining("redis://");
    }

    @Test
    void aPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() {
        NodeConfig.Flags flags = new NodeConfig.Flags();
        flags.db = "postgresql://writ:hunter2-secret@db:5432/writ";
        assertThatThrownBy(() -> NodeConfig.resolve(flags, null, Map.of()))
                .isInstanceOf(CliError.class)
                .hasMessageContaining("--db must not carry a password")
                .hasMessageNotContaining("hunter2");
        NodeConfig.Flags redis = new NodeConfig.Flags();
        redis.redis = "redis://:hunter2-secret@cache:6379";
        assertThatThrownBy(() -> NodeConfig.resolve(redis, null, Map.of()))
                .hasMessageContaining("--redis must not carry a password")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void passwordsComeFromAFileOrTheEnvironmentAndAreNeverShown() throws Exception {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "p@ss word/:1\n");
        NodeConfig.Flags flags = new NodeConfig.Flags();
        flags.db = "postgresql://writ@db:5432/writ?sslmode=require";
        flags.dbPasswordFile = pw;
        NodeConfig c = NodeConfig.resolve(
                flags, null, Map.of("WRIT_REDIS", "redis://cache:6379", "WRIT_REDIS_PASSWORD", "r3dis-secret"));
        assertThat(c.dbLocationWithPassword())
                .isEqualTo("postgresql://writ:p%40ss%20word%2F%3A1@db:5432/writ?sslmode=require");
        assertThat(dev.writ.server.store.postgres.PostgresLocation.parse(c.dbLocationWithPassword())
                        .password())
                .isEqualTo("p@ss word/:1");
        assertThat(c.redisLocationWithPassword()).isEqualTo("redis://:r3dis-secret@cache:6379");
        assertThat(c.toString())
                .doesNotContain("p@ss", "p%40ss", "r3dis", "writ@")
                .contains("db:5432/writ");

        NodeConfig env = NodeConfig.resolve(
                new NodeConfig.Flags(),
                null,
                Map.of("WRIT_DB", "postgresql://writ@db/writ", "WRIT_DB_PASSWORD", "from-env"));
        assertThat(env.dbLocationWithPassword()).isEqualTo("postgresql://writ:from-env@db/writ");
    }
}
