package dev.writ.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.security.auth.x500.X500Principal;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/** A revocation stream that vouches for its feed only while the feed is up to date (a multi-node relay connected). */
class RevocationStreamGateTest {
    static final X500Principal CA = new X500Principal("CN=Writ Agents CA,O=acme");

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aFeedThatIsNotUpToDateMakesItsSubscribersStaleAndRefusesNewOnes() throws Exception {
        InMemoryRevocationFeed feed = new InMemoryRevocationFeed();
        AtomicBoolean upToDate = new AtomicBoolean(true);
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new RevocationStreamHandler(feed, Duration.ofMillis(100), upToDate::get));
        server.start();
        String base = "http://127.0.0.1:" + connector.getLocalPort();
        try (RevocationStreamClient pep = RevocationStreamClient.builder()
                .server(URI.create(base))
                .maxStaleness(Duration.ofMillis(600))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .build()
                .start()) {
            assertThat(pep.awaitSynced(Duration.ofSeconds(5))).isTrue();
            feed.publish(CA, BigInteger.valueOf(0x6f1c), "keyCompromise", Instant.now());
            await(() -> pep.revokedCount() == 1, "the first revocation arrived");

            upToDate.set(false);
            await(() -> !pep.isFresh(), "the subscriber went stale");
            // Stale means fail closed: the verifier turns this into sae.revocation_unavailable.
            assertThatThrownBy(() -> pep.isRevoked(CA, BigInteger.TEN)).isInstanceOf(IllegalStateException.class);
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(base + RevocationStreamHandler.PATH))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("\"revocations.unavailable\"");

            feed.publish(CA, BigInteger.TEN, "keyCompromise", Instant.now());
            upToDate.set(true);
            await(pep::isFresh, "the subscriber is fresh again");
            // It resumed from its cursor: nothing published meanwhile was lost.
            assertThat(pep.isRevoked(CA, BigInteger.TEN)).isTrue();
            assertThat(pep.revokedCount()).isEqualTo(2);
        } finally {
            server.stop();
        }
    }
}
