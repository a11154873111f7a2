package dev.writ.server.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Connecting, health and error reporting against a real password-protected {@code redis-server}. */
class RedisConnectionTest {
    static final String PASSWORD = "s3cret-Redis-Passw0rd";
    static RedisServer redis;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start(PASSWORD, false);
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    static String trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    @Test
    void connectsWithTheRightPasswordAndNeverShowsIt() throws Exception {
        try (RedisConnection c = RedisConnection.connect(redis.uri(), Duration.ofSeconds(2))) {
            assertThat(c.healthy()).isTrue();
            assertThat(c.endpoint()).isEqualTo("127.0.0.1:" + redis.port());
            assertThat(c.redactedUri()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(c.toString()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void anUnreachableRedisIsAClearStartUpErrorWithoutThePassword() throws Exception {
        int port = RedisServer.freePort();
        String uri = "redis://writ-user:" + PASSWORD + "@127.0.0.1:" + port;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RedisConnection.connect(uri, Duration.ofMillis(500)))
                .isInstanceOfSatisfying(RedisException.class, e -> {
                    assertThat(e.code()).isEqualTo(RedisException.UNAVAILABLE);
                    assertThat(e.getMessage()).startsWith("redis.unavailable").contains("127.0.0.1:" + port);
                    assertThat(trace(e)).doesNotContain(PASSWORD).doesNotContain("writ-user");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void percentEncodedCredentialsAreMaskedInBothForms() throws Exception {
        int port = RedisServer.freePort();
        String uri = "redis://ops-user:p%40ss-W0rd%21x@127.0.0.1:" + port + "/2";
        assertThatThrownBy(() -> RedisConnection.connect(uri, Duration.ofMillis(500)))
                .isInstanceOfSatisfying(RedisException.class, e -> assertThat(trace(e))
                        .doesNotContain("p%40ss-W0rd%21x")
                        .doesNotContain("p@ss-W0rd!x")
                        .doesNotContain("ops-user"));
    }

    @Test
    void aWrongPasswordIsAnAuthErrorWithoutThePassword() {
        String wrong = "not-the-Passw0rd-at-all";
        String uri = "redis://:" + wrong + "@127.0.0.1:" + redis.port();
        assertThatThrownBy(() -> RedisConnection.connect(uri, Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(RedisException.class, e -> {
                    assertThat(e.code()).isEqualTo(RedisException.AUTH);
                    assertThat(e.getMessage()).contains("127.0.0.1:" + redis.port());
                    assertThat(trace(e)).doesNotContain(wrong);
                });
    }

    @Test
    void malformedOrForeignUrisAreRefusedWithoutEchoingThem() {
        for (String uri : new String[] {
            "http://:" + PASSWORD + "@127.0.0.1:6379", "redis://:" + PASSWORD + "@", "not a uri " + PASSWORD
        }) {
            assertThatThrownBy(() -> RedisConnection.connect(uri, Duration.ofMillis(500)))
                    .as(uri)
                    .isInstanceOfSatisfying(RedisException.class, e -> {
                        assertThat(e.code()).isEqualTo(RedisException.URI);
                        assertThat(trace(e)).doesNotContain(PASSWORD);
                    });
        }
    }

    @Test
    void healthFollowsRedisDownAndBackWithinBoundedTime() throws Exception {
        try (RedisServer own = RedisServer.start();
                RedisConnection c = RedisConnection.connect(own.uri(), Duration.ofSeconds(1))) {
            assertThat(c.healthy()).isTrue();
            own.stop();
            long t0 = System.nanoTime();
            assertThat(c.healthy()).isFalse();
            // The readiness probe answers within about the command timeout, never hangs.
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            assertThatThrownBy(c::ping).isInstanceOfSatisfying(RedisException.class, e -> assertThat(e.code())
                    .isIn(RedisException.UNAVAILABLE, RedisException.TIMEOUT));
            own.startAgain();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!c.healthy() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(c.healthy()).as("reconnected by itself").isTrue();
        }
    }

    @Test
    void redactionMasksEveryFormOfTheCredentials() {
        Throwable t = new IllegalStateException(
                "AUTH failed for redis://writ-user:" + PASSWORD + "@h:1", new RuntimeException("pw " + PASSWORD));
        Throwable s = Redaction.scrub(t, java.util.List.of("writ-user:" + PASSWORD, PASSWORD, "writ-user"));
        assertThat(trace(s))
                .doesNotContain(PASSWORD)
                .doesNotContain("writ-user")
                .contains("IllegalStateException");
        assertThat(s.getStackTrace()).isEqualTo(t.getStackTrace());
    }
}
