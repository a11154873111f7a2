package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
            d.server.mount(RevocationStreamHandler.PATH, new RevocationStreamHandler(feed, Duration.ofMillis(250)));
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
            }

            // Redis gone: both servers say so on /readyz; back: ready again.
            redis.stop();
            Thread.sleep(100);
            assertThat(a.domain().call("GET", "/readyz", null, null).status()).isEqualTo(503);
            redis.startAgain();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                status = a.domain().call("GET", "/readyz", null, null).status();
                Thread.sleep(50);
            }
            assertThat(status).isEqualTo(200);
        }
    }
}
