package dev.writ.server.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreContract;
import dev.writ.core.nonce.NonceStoreException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared nonce store against a real {@code redis-server}: the common contract, and the multi-node properties (two
 * stores on two connections stand for two PEPs).
 */
class SharedNonceStoreTest extends NonceStoreContract {
    static final String DOMAIN = "writ.local";
    static RedisServer redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Override
    protected NonceStore open() throws Exception {
        return RedisNonceStore.connect(redis.uri(), Duration.ofSeconds(2), DOMAIN, InstantSource.system());
    }

    /** A PEP restart: a new connection to the same Redis. */
    @Override
    protected NonceStore reopen(NonceStore store) throws Exception {
        store.close();
        return open();
    }

    static String jti() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    @Test
    void aNonceUsedAtOnePepIsAReplayAtAnother() throws Exception {
        try (NonceStore a = open();
                NonceStore b = open()) {
            String n = jti();
            assertThat(a.recordIfAbsent(n, Instant.now().plusSeconds(60))).isTrue();
            assertThat(b.recordIfAbsent(n, Instant.now().plusSeconds(60))).isFalse();
            assertThat(a.recordIfAbsent(n, Instant.now().plusSeconds(60))).isFalse();
        }
    }

    @Test
    void exactlyOnePepWinsARaceAcrossConnections() throws Exception {
        List<NonceStore> peps = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 4; i++) {
                peps.add(open());
            }
            for (int round = 0; round < 20; round++) {
                String n = jti();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    NonceStore pep = peps.get(i % peps.size());
                    results.add(pool.submit(() -> {
                        go.await();
                        return pep.recordIfAbsent(n, Instant.now().plusSeconds(60));
                    }));
                }
                go.countDown();
                int wins = 0;
                for (Future<Boolean> f : results) {
                    wins += f.get() ? 1 : 0;
                }
                assertThat(wins).as("round " + round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
            for (NonceStore s : peps) {
                s.close();
            }
        }
    }

    @Test
    void keysAreScopedByTrustDomainAndExpireWithTheEnvelope() throws Exception {
        try (RedisConnection c = RedisConnection.connect(redis.uri(), Duration.ofSeconds(2))) {
            RedisNonceStore one = new RedisNonceStore(c, "one.example", InstantSource.system());
            RedisNonceStore two = new RedisNonceStore(c, "two.example", InstantSource.system());
            String n = jti();
            assertThat(one.recordIfAbsent(n, Instant.now().plusSeconds(90))).isTrue();
            assertThat(two.recordIfAbsent(n, Instant.now().plusSeconds(90))).isTrue();
            assertThat(one.key(n)).isEqualTo("writ:one.example:nonce:" + n);
            long pttl = c.await(c.commands().pttl(one.key(n)), "PTTL");
            assertThat(pttl).isBetween(80_000L, 90_000L);
            one.close();
            // The connection is the caller's: closing a store on it leaves it usable.
            assertThat(c.healthy()).isTrue();
        }
        assertThatThrownBy(() -> new RedisNonceStore(null, "x", InstantSource.system()))
                .isInstanceOf(NullPointerException.class);
        try (RedisConnection c = RedisConnection.connect(redis.uri(), Duration.ofSeconds(2))) {
            for (String bad : new String[] {"", "a:b", "a*", "a b", "{x}"}) {
                assertThatThrownBy(() -> new RedisNonceStore(c, bad, InstantSource.system()))
                        .as(bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Test
    void aRedisOutageFailsClosedQuicklyAndRecovers() throws Exception {
        String password = "outage-Passw0rd";
        try (RedisServer own = RedisServer.start(password, false);
                RedisNonceStore s =
                        RedisNonceStore.connect(own.uri(), Duration.ofSeconds(1), DOMAIN, InstantSource.system())) {
            assertThat(s.recordIfAbsent(jti(), Instant.now().plusSeconds(60))).isTrue();
            own.stop();
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> s.recordIfAbsent(jti(), Instant.now().plusSeconds(60)))
                        .isInstanceOfSatisfying(NonceStoreException.class, e -> {
                            assertThat(e.getMessage()).startsWith("redis.").contains("127.0.0.1:" + own.port());
                            assertThat(RedisConnectionTest.trace(e)).doesNotContain(password);
                        });
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            }
            own.startAgain();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            boolean recorded = false;
            while (!recorded && System.nanoTime() < deadline) {
                try {
                    recorded = s.recordIfAbsent(jti(), Instant.now().plusSeconds(60));
                } catch (NonceStoreException e) {
                    Thread.sleep(50);
                }
            }
            assertThat(recorded).as("works again after Redis is back").isTrue();
        }
    }
}
