package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.api.TestDomain;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.ca.CaName;
import dev.writ.server.gateway.RevocationStreamClient;
import dev.writ.server.gateway.RevocationStreamHandler;
import dev.writ.server.redis.RedisConnection;
import dev.writ.server.redis.RedisRevocationRelay;
import dev.writ.server.redis.RedisServer;
import dev.writ.server.redis.StoreRevocations;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real Writ servers over one database, each serving {@code /v1/revocations/stream} from its own revocation bus,
 * the buses joined through a real {@code redis-server}: a PEP subscribed to server A learns at once of a revocation
 * made through server B's API.
 */
class RedisFanOutEndToEndTest {
    @TempDir
    Path tmp;

    /** One node: the relay is started before the feed reads the committed revocations (see the relay's start()). */
    record Node(
            TestDomain domain, RedisConnection redis, RedisRevocationRelay relay, ServerWiring.BusRevocationFeed feed)
            implements AutoCloseable {
        static Node open(Path dir, String token, String id, RedisServer server) throws Exception {
            TestDomain d = TestDomain.open(dir, token);
            TrustRuntime rt = d.runtime;
            RedisConnection redis = RedisConnection.connect(server.uri(), Duration.ofSeconds(2));
            RedisRevocationRelay relay = RedisRevocationRelay.builder(
                            redis, rt.revocations(), rt.domain().name())
                    .nodeId(id)
                    .committed(new StoreRevocations(rt.store(), InstantSource.system()))
                    .build()
                    .start();
            ServerWiring.BusRevocationFeed feed = ServerWiring.BusRevocationFeed.open(rt, InstantSource.system());
            // The stream vouches for the node's revocation set only while the relay is connected.
            d.server.mount(
                    RevocationStreamHandler.PATH,
                    new RevocationStreamHandler(feed, Duration.ofMillis(250), relay::healthy));
            d.server.readiness(() -> redis.healthy() && relay.healthy());
            return new Node(d, redis, relay, feed);
        }

        @Override
        public void close() throws Exception {
            feed.close();
            relay.close();
            domain.close();
            redis.close();
        }
    }

    static int call(TestDomain d, String path) {
        try {
            return d.call("GET", path, null, null).status();
        } catch (Exception e) {
            return -1;
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aPepOnServerALearnsOfARevocationMadeThroughServerBWithinOneSecond() throws Exception {
        Path dir = tmp.resolve("data");
        String token = TestDomain.init(dir);
        try (RedisServer redis = RedisServer.start();
                Node a = Node.open(dir, token, "node-a", redis);
                Node b = Node.open(dir, token, "node-b", redis)) {
            assertThat(a.domain().call("GET", "/readyz", null, null).status()).isEqualTo(200);
            String serial =
                    b.domain().createAgent("payments-bot").body().path("serial").asText();
            assertThat(serial).isNotEmpty();
            X500Principal issuer = new X500Principal(a.domain()
                    .runtime
                    .domain()
                    .ca(CaName.AGENTS)
                    .certificate()
                    .getSubject()
                    .getEncoded());
            try (RevocationStreamClient pep = RevocationStreamClient.builder()
                    .server(URI.create(a.domain().base))
                    .maxStaleness(Duration.ofSeconds(2))
                    .build()
                    .start()) {
                assertThat(pep.awaitSynced(Duration.ofSeconds(5))).isTrue();
                assertThat(pep.isRevoked(issuer, new BigInteger(serial, 16))).isFalse();

                long t0 = System.nanoTime();
                assertThat(b.domain()
                                .call(
                                        "DELETE",
                                        "/api/v1/certificates/" + serial + "?reason=keyCompromise",
                                        b.domain().adminToken,
                                        null)
                                .status())
                        .isEqualTo(200);
                long answered = System.nanoTime();
                long deadline = t0 + Duration.ofSeconds(1).toNanos();
                while (!pep.isRevoked(issuer, new BigInteger(serial, 16)) && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                long seen = System.nanoTime();
                System.out.printf(
                        "revocation through server B seen by a PEP on server A %d ms after the DELETE was sent"
                                + " (%d ms after it was answered)%n",
                        (seen - t0) / 1_000_000, (seen - answered) / 1_000_000);
                assertThat(pep.isRevoked(issuer, new BigInteger(serial, 16)))
                        .as("revoked within 1 s at server A's PEP")
                        .isTrue();
                Thread.sleep(300);
                // Exactly once on A's stream, and A's bus did not echo it back into Redis.
                assertThat(pep.revokedCount()).isEqualTo(1);
                assertThat(a.feed().latest()).isEqualTo(1);
                assertThat(a.relay().status().delivered()).isEqualTo(1);
                assertThat(a.relay().status().appended()).isZero();
                assertThat(b.relay().status().appended()).isEqualTo(1);

                // Redis gone: the nodes say so on /readyz, A's stream stops vouching for its set, and A's PEP goes
                // stale and fails closed instead of trusting a set that may miss B's revocations.
                String during = b.domain()
                        .createAgent("during-outage")
                        .body()
                        .path("serial")
                        .asText();
                redis.stop();
                waitFor(() -> !pep.isFresh(), Duration.ofSeconds(5), "the PEP went stale");
                assertThatThrownBy(() -> pep.isRevoked(issuer, new BigInteger(during, 16)))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(a.domain().call("GET", "/readyz", null, null).status())
                        .isEqualTo(503);
                TestDomain.Resp refused = a.domain().call("GET", RevocationStreamHandler.PATH, null, null);
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.errorCode()).isEqualTo("revocations.unavailable");

                // A revocation through B while Redis is away is committed, queued, and reaches A's PEP once Redis is
                // back; then A is ready and its PEP fresh again.
                assertThat(b.domain()
                                .call("DELETE", "/api/v1/certificates/" + during, b.domain().adminToken, null)
                                .status())
                        .isEqualTo(200);
                redis.startAgain();
                waitFor(pep::isFresh, Duration.ofSeconds(10), "the PEP is fresh again");
                waitFor(
                        () -> pep.isRevoked(issuer, new BigInteger(during, 16)),
                        Duration.ofSeconds(5),
                        "the revocation made during the outage arrived");
                waitFor(() -> call(a.domain(), "/readyz") == 200, Duration.ofSeconds(5), "server A is ready again");
                assertThat(pep.revokedCount()).isEqualTo(2);
            }
        }
    }
}
