package dev.writ.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.gateway.GatewayFixture.Publisher;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

/** Both ends of the revocation stream over a real socket: wire format, snapshot, cursor resume, fail closed. */
class RevocationStreamTest {
    static final X500Principal CA = new X500Principal("CN=Writ Agents CA,O=acme");
    static final Instant AT = Instant.parse("2026-03-02T10:00:00Z");

    static RevocationStreamClient client(Publisher p, Duration staleness) {
        return RevocationStreamClient.builder()
                .server(URI.create(p.base() + "/"))
                .maxStaleness(staleness)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .build()
                .start();
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }

    @Test
    void wireFormatIsTheDocumentedOne() throws Exception {
        try (Publisher p = new Publisher(0)) {
            p.feed.publish(CA, new BigInteger("6f1c", 16), "keyCompromise", AT);
            HttpResponse<InputStream> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(p.base() + RevocationStreamHandler.PATH))
                                    .build(),
                            HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
            List<String> lines = new ArrayList<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && lines.size() < 12) {
                    lines.add(line);
                    if (line.equals("event: heartbeat")) break;
                }
            }
            String epoch = p.feed.epoch();
            assertThat(epoch).matches("[0-9a-f]{16}");
            assertThat(lines)
                    .containsSubsequence(
                            "id: " + epoch + ".1",
                            "event: revocation",
                            "data: {\"seq\":1,\"serial\":\"6f1c\",\"issuer\":\"CN=Writ Agents CA,O=acme\","
                                    + "\"reason\":\"keyCompromise\",\"revoked_at\":1772445600}",
                            "",
                            "event: synced",
                            "data: {\"cursor\":1,\"epoch\":\"" + epoch + "\"}",
                            "",
                            "event: heartbeat");
        }
    }

    @Test
    void aReconnectingSubscriberResumesFromItsCursor() throws Exception {
        InMemoryRevocationFeed feed = new InMemoryRevocationFeed();
        feed.publish(CA, BigInteger.valueOf(101), "keyCompromise", AT);
        Publisher p = new Publisher(0, feed);
        int port = p.port();
        try (RevocationStreamClient c = client(p, Duration.ofSeconds(5))) {
            assertThat(c.awaitSynced(Duration.ofSeconds(5))).isTrue();
            assertThat(c.isRevoked(CA, BigInteger.valueOf(101))).isTrue();
            assertThat(c.cursor()).isEqualTo(1);
            p.close();
            // Revoked while the PEP is disconnected.
            feed.publish(CA, BigInteger.valueOf(102), "superseded", AT);
            p = new Publisher(port, feed);
            await(() -> c.cursor() == 2);
            assertThat(c.isRevoked(CA, BigInteger.valueOf(102))).isTrue();
            assertThat(c.isRevoked(CA, BigInteger.valueOf(103))).isFalse();
            assertThat(c.revokedCount()).isEqualTo(2);
            // Live events keep flowing on the resumed stream.
            feed.publish(CA, BigInteger.valueOf(103), "keyCompromise", AT);
            await(() -> c.cursor() == 3);
        } finally {
            p.close();
        }
    }

    @Test
    void aCursorAheadOfTheServerGetsTheWholeSnapshot() throws Exception {
        InMemoryRevocationFeed before = new InMemoryRevocationFeed();
        for (int i = 1; i <= 3; i++) before.publish(CA, BigInteger.valueOf(200 + i), "keyCompromise", AT);
        Publisher p = new Publisher(0, before);
        int port = p.port();
        try (RevocationStreamClient c = client(p, Duration.ofSeconds(5))) {
            await(() -> c.cursor() == 3);
            p.close();
            // The server comes back with another (shorter) history: its sequence is behind the PEP's cursor.
            InMemoryRevocationFeed after = new InMemoryRevocationFeed();
            after.publish(CA, BigInteger.valueOf(999), "keyCompromise", AT);
            p = new Publisher(port, after);
            await(() -> c.revokedCount() == 4);
            assertThat(c.isRevoked(CA, BigInteger.valueOf(999))).isTrue();
            assertThat(c.isRevoked(CA, BigInteger.valueOf(201)))
                    .as("revocation is permanent")
                    .isTrue();
        } finally {
            p.close();
        }
    }

    @Test
    void aCursorFromAnotherServersNumberingGetsTheWholeSnapshot() throws Exception {
        InMemoryRevocationFeed first = new InMemoryRevocationFeed();
        first.publish(CA, BigInteger.valueOf(301), "keyCompromise", AT);
        first.publish(CA, BigInteger.valueOf(302), "keyCompromise", AT);
        Publisher p = new Publisher(0, first);
        int port = p.port();
        try (RevocationStreamClient c = client(p, Duration.ofSeconds(5))) {
            await(() -> c.cursor() == 2);
            p.close();
            // Another node behind the same address numbers its events its own way and has more of them: position 2
            // there is not position 2 here. A plain sequence number would skip 401 and 402.
            InMemoryRevocationFeed other = new InMemoryRevocationFeed();
            for (int i = 1; i <= 4; i++) other.publish(CA, BigInteger.valueOf(400 + i), "keyCompromise", AT);
            p = new Publisher(port, other);
            await(() -> c.revokedCount() == 6);
            for (int i = 1; i <= 4; i++) {
                assertThat(c.isRevoked(CA, BigInteger.valueOf(400 + i))).isTrue();
            }
            assertThat(c.cursor()).isEqualTo(4);
            // And it resumes in the new numbering.
            other.publish(CA, BigInteger.valueOf(405), "keyCompromise", AT);
            await(() -> c.cursor() == 5 && c.isRevoked(CA, BigInteger.valueOf(405)));
        } finally {
            p.close();
        }
    }

    @Test
    void neverSyncedIsNeverFresh() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (RevocationStreamClient c = RevocationStreamClient.builder()
                .server(URI.create("http://127.0.0.1:" + dead))
                .maxStaleness(Duration.ofSeconds(30))
                .build()
                .start()) {
            assertThat(c.awaitSynced(Duration.ofMillis(300))).isFalse();
            assertThat(c.isFresh()).isFalse();
            assertThatThrownBy(() -> c.isRevoked(CA, BigInteger.ONE)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void eventsRoundTripAndMalformedOnesAreRejected() throws Exception {
        RevocationEvent e = new RevocationEvent(7, CA, new BigInteger("00ff", 16), "keyCompromise", AT);
        assertThat(RevocationEvent.fromJson(e.toJson())).isEqualTo(e);
        for (String bad : List.of(
                "[]",
                "{\"seq\":1,\"issuer\":\"CN=x\",\"revoked_at\":1}",
                "{\"seq\":1,\"serial\":\"xyz\",\"issuer\":\"CN=x\",\"revoked_at\":1}",
                "{\"seq\":0,\"serial\":\"01\",\"issuer\":\"CN=x\",\"revoked_at\":1}",
                "{\"seq\":1,\"serial\":\"01\",\"revoked_at\":1}",
                "{\"seq\":1,\"serial\":\"01\",\"issuer\":\"CN=x\",\"revoked_at\":\"soon\"}")) {
            assertThatThrownBy(() -> RevocationEvent.fromJson(bad)).as(bad).isInstanceOf(java.io.IOException.class);
        }
    }
}
